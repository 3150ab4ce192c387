# Helpers that keep every folder's CMakeLists.txt a few lines long.

set(ZERORL_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})  # for the scripts helpers run

# Warnings as errors for our own code only (dependencies come in as SYSTEM includes).
function(zerorl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()

# Torch headers are the main build cost: every torch-using target precompiles them once.
function(zerorl_torch_pch target)
  if(NOT ZERORL_SANITIZE)
    target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  endif()
endfunction()

# zerorl_parallel_sources(target file...): files that call at::parallel_for get -fopenmp (and
# skip the torch precompiled header, built without it); the target links the OpenMP runtime.
function(zerorl_parallel_sources target)
  if(NOT ZERORL_SANITIZE)
    set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS "${OpenMP_CXX_FLAGS}"
                                SKIP_PRECOMPILE_HEADERS ON)
    target_link_libraries(${target} PUBLIC ${OpenMP_CXX_LIBRARIES})
  endif()
endfunction()

# zerorl_library(NAME name SOURCES ... DEPS ... [TORCH])
#   A static library from one folder; public headers live at the top of the folder and are
#   included as "folder/header.h".
function(zerorl_library)
  cmake_parse_arguments(ARG "TORCH" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  zerorl_warnings(${ARG_NAME})
  if(ARG_TORCH)
    target_link_libraries(${ARG_NAME} PUBLIC zerorl::torch)
    zerorl_torch_pch(${ARG_NAME})
  endif()
endfunction()

# zerorl_test(NAME name SOURCES ... DEPS ... [TORCH] [LABELS ...])
#   A GoogleTest binary; its tests are discovered into CTest. Fixtures come from
#   ZERORL_TEST_DATA (default ../shared/data relative to the source tree).
function(zerorl_test)
  cmake_parse_arguments(ARG "TORCH" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} zerorl_testing GTest::gmock GTest::gtest_main)
  zerorl_warnings(${ARG_NAME})
  if(ARG_TORCH)
    target_link_libraries(${ARG_NAME} PRIVATE zerorl::torch)
    zerorl_torch_pch(${ARG_NAME})
  endif()
  set(labels ${ARG_LABELS})
  if(ZERORL_SANITIZE)
    list(APPEND labels sanitize)
  endif()
  # Tests find the source and build folders through compiled-in defaults (test_support.cc;
  # ZERORL_SOURCE_DIR / ZERORL_BINARY_DIR override them). Labels are joined into one value:
  # gtest_discover_tests (CMake 3.25) splits a ';' list inside PROPERTIES into separate
  # arguments, which would pair the second label with the wrong property name.
  set(properties)
  if(labels)
    list(JOIN labels "," labels_value)
    set(properties PROPERTIES LABELS "${labels_value}")
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    ${properties}
    DISCOVERY_TIMEOUT 60)
endfunction()

# zerorl_isa_sources(target file...): sources compiled for one x86 instruction-set level each,
# picked at run time by the library's own dispatch (model/internal/kernel_table.h). The level
# is the file name's suffix:
#   <stem>_scalar.cc  plain x86-64, the build's baseline (every machine)
#   <stem>_avx2.cc    -mavx2 -mfma -mf16c                         (core::CpuIsa::kAvx2)
#   <stem>_avx512.cc  the above + -mavx512f -mavx512bw -mavx512vl -mavx512dq (kAvx512)
# Each also gets -ffp-contract=off (GCC fuses a * b + c into an FMA in C++ even in ISO mode,
# and only where FMA exists: the levels would round differently) and skips the torch PCH
# (built for the baseline, and these files must not see torch). The target gets
# ZERORL_X86_KERNELS when the AVX levels are built (x86-64 only; elsewhere only _scalar.cc).
# After every build of the target, cmake/CheckIsaObjects.cmake reads those objects with nm and
# fails the build if one defines a weak or unique symbol, a static initializer, or a global
# symbol whose name does not carry its level (e.g. kAvx2Kernels): code for one level that the
# linker could hand to every caller, or that runs at load time, SIGILLs on an older CPU.
function(zerorl_isa_sources target)
  set(x86 OFF)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(x86 ON)
  endif()
  set(avx2_flags -mavx2 -mfma -mf16c)
  set(avx512_flags ${avx2_flags} -mavx512f -mavx512bw -mavx512vl -mavx512dq)
  foreach(file ${ARGN})
    if(file MATCHES "_scalar\\.cc$")
      set(flags "")
    elseif(file MATCHES "_avx2\\.cc$")
      set(flags ${avx2_flags})
    elseif(file MATCHES "_avx512\\.cc$")
      set(flags ${avx512_flags})
    else()
      message(FATAL_ERROR
              "zerorl_isa_sources: ${file} does not end in _scalar.cc, _avx2.cc or _avx512.cc")
    endif()
    if(NOT x86 AND flags)
      set_source_files_properties(${file} PROPERTIES HEADER_FILE_ONLY ON)
    else()
      set_source_files_properties(${file} PROPERTIES
        COMPILE_OPTIONS "${flags};-ffp-contract=off" SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
  if(x86)
    target_compile_definitions(${target} PRIVATE ZERORL_X86_KERNELS=1)
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM}
            "-DOBJECTS=$<JOIN:$<TARGET_OBJECTS:${target}>,|>"
            -P ${ZERORL_CMAKE_DIR}/CheckIsaObjects.cmake
    VERBATIM)
endfunction()
