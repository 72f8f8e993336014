# Fails unless every block of SOURCE between the markers
#   // --- README: <name> begins ---   and   // --- README: <name> ends ---
# appears in README, line for line, leading whitespace ignored: the README's
# code is then code that compiles and runs as a test.
#   cmake -DSOURCE=<test.cpp> -DREADME=<README.md> -P CheckReadmeBlocks.cmake
file(STRINGS "${SOURCE}" source_lines)
file(STRINGS "${README}" readme_lines)

# The README's lines without their indentation, joined with a separator
# that cannot occur in text.
set(readme_text "")
foreach(line IN LISTS readme_lines)
  string(STRIP "${line}" line)
  string(APPEND readme_text "${line}\n")
endforeach()

set(block "")
set(name "")
set(count 0)
foreach(line IN LISTS source_lines)
  if(line MATCHES "// --- README: ([a-z]+) begins ---")
    set(name "${CMAKE_MATCH_1}")
    set(block "")
  elseif(line MATCHES "// --- README: ([a-z]+) ends ---")
    string(FIND "${readme_text}" "${block}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "README.md lacks the block '${name}' of ${SOURCE}, or has it changed:\n${block}")
    endif()
    math(EXPR count "${count} + 1")
    set(name "")
  elseif(NOT name STREQUAL "")
    string(STRIP "${line}" line)
    string(APPEND block "${line}\n")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no README blocks found in ${SOURCE}")
endif()
message(STATUS "${count} README blocks found in README.md")
