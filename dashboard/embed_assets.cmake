# Turns dashboard/assets/* into a C++ source of byte arrays, so the zerorl binary serves its
# page without any file beside it. Run as: cmake -DASSET_DIR=... -DOUTPUT=... -P this file.
file(GLOB asset_files ${ASSET_DIR}/*)
list(SORT asset_files)
set(arrays "")
set(table "")
set(index 0)
foreach(file ${asset_files})
  get_filename_component(name ${file} NAME)
  file(READ ${file} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "const unsigned char kAsset${index}[] = {\n${bytes}0};\n\n")
  string(APPEND table "    {\"${name}\", kAsset${index}, ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()
set(body "// Generated from dashboard/assets/* by dashboard/embed_assets.cmake. Do not edit.
#include \"dashboard/assets.h\"

namespace zerorl::dashboard {
namespace {

${arrays}const Asset kAssets[] = {
${table}    {nullptr, nullptr, 0},
};

}  // namespace

const Asset* EmbeddedAssets() { return kAssets; }

const Asset* FindAsset(std::string_view name) {
  for (const Asset* a = kAssets; a->name != nullptr; ++a) {
    if (name == a->name) return a;
  }
  return nullptr;
}

}  // namespace zerorl::dashboard
")
file(WRITE ${OUTPUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
