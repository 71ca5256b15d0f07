# Warnings live on an INTERFACE target that our own targets link PRIVATE,
# so consumers of the installed package never inherit them.
add_library(clauster_warnings INTERFACE)
add_library(clauster::warnings ALIAS clauster_warnings)
target_compile_options(clauster_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast
  $<$<BOOL:${CLAUSTER_WERROR}>:-Werror>)
