# Turns configs/*.json into a C++ source with one raw string per file, so the binary carries
# its ready configs (the quickstart runs from any folder).
file(GLOB config_files ${CONFIG_DIR}/*.json)
set(body "// Generated from configs/*.json by cli/embed_config.cmake. Do not edit.\n#include \"cli/embedded_configs.h\"\n\nnamespace zerorl::cli {\n\nconst std::vector<EmbeddedConfig>& EmbeddedConfigs() {\n  static const std::vector<EmbeddedConfig> kConfigs = {\n")
foreach(file ${config_files})
  get_filename_component(name ${file} NAME_WE)
  file(READ ${file} text)
  string(APPEND body "      {\"${name}\", R\"zerorl_embedded(${text})zerorl_embedded\"},\n")
endforeach()
string(APPEND body "  };\n  return kConfigs;\n}\n\n}  // namespace zerorl::cli\n")
file(WRITE ${OUTPUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
