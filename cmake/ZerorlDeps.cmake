# Every dependency comes from a Debian 12 package (see scripts/setup.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(cppzmq CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(GMP REQUIRED IMPORTED_TARGET gmp gmpxx)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(zerorl::rapidjson INTERFACE IMPORTED)
# SizeType as size_t and std::string support.
target_compile_definitions(zerorl::rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
target_include_directories(zerorl::rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})

if(ZERORL_TESTS)
  find_package(GTest REQUIRED)
endif()

if(NOT ZERORL_SANITIZE)
  # LibTorch: 1.13 from Debian (CPU) here; users bring 2.x with CUDA via Torch_DIR.
  find_package(Torch REQUIRED)
  add_library(zerorl::torch INTERFACE IMPORTED)
  target_link_libraries(zerorl::torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(zerorl::torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  separate_arguments(_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(zerorl::torch INTERFACE ${_torch_flags})
  find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
  # ATen's at::parallel_for is inline OpenMP (ATen/ParallelOpenMP.h): a file that calls it
  # must be compiled with -fopenmp, or its loop silently runs on one thread. See
  # zerorl_parallel_sources().
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  # oneDNN (libdnnl-dev: the library LibTorch's CPU kernels already load): weights packed once
  # for the rollout's CPU matmuls (model/packed_linear.h). Without it generation falls back to
  # at::linear. OFF for a LibTorch that links its own oneDNN when the two clash.
  option(ZERORL_WITH_DNNL "Packed oneDNN matmuls for CPU generation" ON)
  if(ZERORL_WITH_DNNL)
    find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
    find_library(DNNL_LIBRARY dnnl)
  endif()
  if(ZERORL_WITH_DNNL AND DNNL_INCLUDE_DIR AND DNNL_LIBRARY)
    add_library(zerorl::dnnl INTERFACE IMPORTED)
    target_include_directories(zerorl::dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})
    target_link_libraries(zerorl::dnnl INTERFACE ${DNNL_LIBRARY})
    target_compile_definitions(zerorl::dnnl INTERFACE ZERORL_HAVE_DNNL=1)
    message(STATUS "zerorl: oneDNN packed matmuls: ${DNNL_LIBRARY}")
  else()
    add_library(zerorl::dnnl INTERFACE IMPORTED)
    message(STATUS "zerorl: oneDNN not found (libdnnl-dev): generation uses at::linear")
  endif()
  if(ZERORL_BENCH)
    find_package(benchmark CONFIG REQUIRED)
  endif()
endif()
