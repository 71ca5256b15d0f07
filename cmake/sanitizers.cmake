# CLAUSTER_SANITIZE is a list such as "address;undefined"; it applies to our
# targets only (through clauster::warnings' sibling below), never globally.
add_library(clauster_sanitizers INTERFACE)
add_library(clauster::sanitizers ALIAS clauster_sanitizers)
if(CLAUSTER_SANITIZE)
  list(JOIN CLAUSTER_SANITIZE "," _clauster_san)
  target_compile_options(clauster_sanitizers INTERFACE
    -fsanitize=${_clauster_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(clauster_sanitizers INTERFACE -fsanitize=${_clauster_san})
endif()

# One call wires the private build flags into one of our targets.
function(clauster_target_defaults target)
  target_link_libraries(${target} PRIVATE
    $<BUILD_INTERFACE:clauster::warnings> $<BUILD_INTERFACE:clauster::sanitizers>)
endfunction()
