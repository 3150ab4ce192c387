# Turns the built sandbox init program into a C++ source holding its bytes, so zerorl needs
# no file beside it. Run as: cmake -DINPUT=... -DOUTPUT=... -P this file.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT}.tmp "// Generated from the sandbox init program by verifiers/sandbox/embed_init.cmake. Do not edit.
#include <cstddef>

extern const unsigned char kZerorlSandboxInitElf[];
extern const size_t kZerorlSandboxInitElfSize;

alignas(64) const unsigned char kZerorlSandboxInitElf[] = {
${bytes}0};
const size_t kZerorlSandboxInitElfSize = ${size};
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
