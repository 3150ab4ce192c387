# cmake -DNM=nm -DOBJECTS="a.o|b.o|..." -P CheckIsaObjects.cmake
#
# Run after a target with zerorl_isa_sources is built. Among OBJECTS, every object of a source
# named *_scalar.cc, *_avx2.cc or *_avx512.cc must define
#   - no weak or unique symbol (nm types W, V, u): an inline or template function compiled for
#     that level which the linker may pick for every caller,
#   - no static initializer (_GLOBAL__sub_I_*): it would run at load time on every CPU,
#   - no global symbol whose name does not carry the level (kAvx2Kernels, kAvx2RowKernels):
#     what it exports is its table, nothing else.
# Anything else fails the build with the offending symbols listed.
string(REPLACE "|" ";" objects "${OBJECTS}")
set(problems "")
foreach(object ${objects})
  if(NOT object MATCHES "_(scalar|avx2|avx512)\\.cc\\.o(bj)?$")
    continue()
  endif()
  set(level ${CMAKE_MATCH_1})
  execute_process(COMMAND ${NM} --defined-only -C ${object}
                  OUTPUT_VARIABLE listing RESULT_VARIABLE status ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "CheckIsaObjects: ${NM} ${object} failed: ${errors}")
  endif()
  string(REPLACE "\n" ";" lines "${listing}")
  foreach(line ${lines})
    if(NOT line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) (.*)$")
      continue()
    endif()
    set(type ${CMAKE_MATCH_1})
    set(name ${CMAKE_MATCH_2})
    string(TOLOWER "${name}" lower_name)
    if(type MATCHES "^[WVu]$")
      string(APPEND problems "\n  ${object}: weak/unique symbol (${type}) ${name}")
    elseif(name MATCHES "_GLOBAL__sub_I")
      string(APPEND problems "\n  ${object}: static initializer ${name}")
    elseif(type MATCHES "^[A-Z]$" AND NOT lower_name MATCHES "${level}")
      string(APPEND problems
             "\n  ${object}: global symbol (${type}) without '${level}' in its name: ${name}")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "CheckIsaObjects: per-ISA objects export code another CPU could run "
                      "(see cmake/ZerorlHelpers.cmake, zerorl_isa_sources):${problems}")
endif()
