# Helpers that keep every folder's CMakeLists.txt a few lines long.

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
