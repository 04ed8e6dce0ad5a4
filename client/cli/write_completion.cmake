# cmake -DBIN=<binary> "-DARGS=a;b" -DOUT=<file> -P write_completion.cmake
# Runs the built binary to print its bash completion script and writes it
# to OUT (through a temporary file, so a failed run leaves no partial file).
execute_process(COMMAND ${BIN} ${ARGS}
  OUTPUT_FILE ${OUT}.tmp
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${BIN} ${ARGS} failed (${rc})")
endif()
file(RENAME ${OUT}.tmp ${OUT})
