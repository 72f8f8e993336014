# `cmake --install`: the public headers, the library, its CMake package
# (find_package(surrealcpp CONFIG), target surrealcpp::surrealcpp) and a
# pkg-config file. tests/package/ consumes the result all three ways.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SURREALCPP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/surrealcpp"
    CACHE STRING "Where surrealcppConfig.cmake is installed, relative to the prefix")

install(DIRECTORY include/surreal
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT surrealcpp_development)

if(BUILD_SHARED_LIBS)
  # The Rust core is linked into libsurrealcpp.so; users need only the
  # library and what the headers use.
  set(_surrealcpp_kind shared)
else()
  set(_surrealcpp_kind static)
  # A static library carries none of its dependencies. The Rust core
  # (SurrealDB itself) is installed beside it as libsurrealcpp_core.a, and a
  # program links it and the system libraries it needs after libsurrealcpp.a.
  install(FILES "${SURREALCPP_RUST_STATIC_LIBRARY}"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          COMPONENT surrealcpp_development)
  target_link_libraries(surrealcpp INTERFACE
    "$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/libsurrealcpp_core.a>"
    "$<INSTALL_INTERFACE:OpenSSL::SSL>"
    "$<INSTALL_INTERFACE:OpenSSL::Crypto>"
    "$<INSTALL_INTERFACE:${CMAKE_DL_LIBS}>"
    "$<INSTALL_INTERFACE:m>")
endif()

install(TARGETS surrealcpp
        EXPORT surrealcppTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT surrealcpp_development
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT surrealcpp_runtime
                NAMELINK_COMPONENT surrealcpp_development
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# One targets file per kind, so that a static and a shared build can be
# installed into one prefix (the binary packages, cmake/Package.cmake hold
# both); surrealcppConfig.cmake picks one.
install(EXPORT surrealcppTargets
        NAMESPACE surrealcpp::
        FILE surrealcppTargets-${_surrealcpp_kind}.cmake
        DESTINATION "${SURREALCPP_INSTALL_CMAKEDIR}"
        COMPONENT surrealcpp_development)

configure_package_config_file(cmake/surrealcppConfig.cmake.in
  "${PROJECT_BINARY_DIR}/surrealcppConfig.cmake"
  INSTALL_DESTINATION "${SURREALCPP_INSTALL_CMAKEDIR}")
# Before 1.0 a minor version may break the API, so find_package(surrealcpp 0.2)
# accepts 0.2.x only; from 1.0 on, any 1.x.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_surrealcpp_compatibility SameMinorVersion)
else()
  set(_surrealcpp_compatibility SameMajorVersion)
endif()
write_basic_package_version_file("${PROJECT_BINARY_DIR}/surrealcppConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY ${_surrealcpp_compatibility})
install(FILES "${PROJECT_BINARY_DIR}/surrealcppConfig.cmake"
              "${PROJECT_BINARY_DIR}/surrealcppConfigVersion.cmake"
        DESTINATION "${SURREALCPP_INSTALL_CMAKEDIR}"
        COMPONENT surrealcpp_development)

# One .pc file for both kinds, the pkg-config way: `pkg-config --libs`
# links the shared library, `pkg-config --static --libs` adds what the
# static one needs (Libs.private, Requires.private).
# The .pc file finds its prefix from where it lies (${pcfiledir}), so that
# `cmake --install --prefix <elsewhere>` gives a working one too.
file(RELATIVE_PATH SURREALCPP_PC_PREFIX_FROM_PCFILEDIR
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" SURREALCPP_PC_PREFIX_FROM_PCFILEDIR "${SURREALCPP_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(cmake/surrealcpp.pc.in "${PROJECT_BINARY_DIR}/surrealcpp.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/surrealcpp.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
        COMPONENT surrealcpp_development)
