# cmake -DIN=FILE -DOUT=FILE.cpp -DNAME=function -P EmbedText.cmake: writes a C++ source
# defining `std::string_view dce::embedded::NAME()` with IN's bytes, so a file kept in the
# repository (docs/openapi.json) is served from the binary, with no data-directory lookup
# that an installed package could get wrong.
file(READ "${IN}" content)
set(delim "dce_embed")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )${delim}\"")
endif()
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by cmake/EmbedText.cmake; do not edit.\n"
  "#include <string_view>\n"
  "namespace dce::embedded {\n"
  "std::string_view ${NAME}() {\n"
  "    static constexpr char text[] = R\"${delim}(${content})${delim}\";\n"
  "    return {text, sizeof text - 1};\n"
  "}\n"
  "}  // namespace dce::embedded\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
