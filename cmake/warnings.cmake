# Warnings live on an INTERFACE target that our own targets link PRIVATE,
# so consumers of the installed package never inherit them.
add_library(clauster_warnings INTERFACE)
add_library(clauster::warnings ALIAS clauster_warnings)
target_compile_options(clauster_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast
  $<$<BOOL:${CLAUSTER_WERROR}>:-Werror>)

# GCC 12 reports Asio's coroutine frames (class-specific operator new/delete) as
# mismatched at -O2: a known false positive (GCC PR 109224). Nothing else in the
# project overloads operator new, so the check has nothing left to find.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(clauster_warnings INTERFACE -Wno-mismatched-new-delete)
endif()
