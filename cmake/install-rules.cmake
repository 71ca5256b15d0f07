set(CLAUSTER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/clauster")

install(TARGETS clauster_core clauster_store clauster_http
  EXPORT clausterTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS clausterd clauster RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

foreach(lib IN ITEMS libcore libstore libhttp)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${lib}/include/"
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(FILES "${PROJECT_BINARY_DIR}/generated/include/clauster/core/version.hpp"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/clauster/core)

install(EXPORT clausterTargets
  NAMESPACE clauster::
  DESTINATION ${CLAUSTER_CMAKE_DIR})

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/clausterConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/clausterConfig.cmake"
  INSTALL_DESTINATION ${CLAUSTER_CMAKE_DIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/clausterConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/clausterConfig.cmake"
  "${PROJECT_BINARY_DIR}/clausterConfigVersion.cmake"
  DESTINATION ${CLAUSTER_CMAKE_DIR})
