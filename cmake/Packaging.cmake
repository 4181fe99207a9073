# The Debian package (scripts/package.sh): CPack's DEB generator over the install rules in
# the top CMakeLists.txt. Runtime dependencies come from the linked shared libraries
# through dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS), never from a hand-written list.
# Files lintian expects in a package (compressed man pages and changelog, copyright, the
# sysusers.d file and the maintainer scripts) live in packaging/.

set(DCE_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# Debian wants man pages and the changelog gzip-compressed (-n: no name or time stamp in
# the header, so the package is reproducible).
set(DCE_GZ_DIR ${PROJECT_BINARY_DIR}/gz)
file(GLOB DCE_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.1)
set(DCE_GZ_OUTPUTS "")
foreach(src ${DCE_MAN_PAGES} ${DCE_PKG_DIR}/changelog)
  get_filename_component(name ${src} NAME)
  if(name STREQUAL "changelog")
    set(out ${DCE_GZ_DIR}/changelog.Debian.gz)
  else()
    set(out ${DCE_GZ_DIR}/man/${name}.gz)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${DCE_GZ_DIR}/man
    COMMAND sh -c "gzip -9n -c \"$0\" > \"$1\"" ${src} ${out}
    DEPENDS ${src} VERBATIM)
  list(APPEND DCE_GZ_OUTPUTS ${out})
endforeach()
add_custom_target(dce_compressed_docs ALL DEPENDS ${DCE_GZ_OUTPUTS})

install(DIRECTORY ${DCE_GZ_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1.gz")
install(FILES ${DCE_PKG_DIR}/copyright ${DCE_GZ_DIR}/changelog.Debian.gz ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/dce-tools)
install(DIRECTORY ${DCE_PKG_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/dce-tools/examples)
install(FILES ${DCE_PKG_DIR}/dce-tools.sysusers DESTINATION ${DCE_SYSUSERS_DIR} RENAME dce-tools.conf)
install(FILES ${DCE_PKG_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME dce-tools)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dce-tools)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "dce-tools")
set(CPACK_PACKAGE_CONTACT "dce-tools maintainers <dce-tools@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "data-center device discovery, polling, traps and audits")
# CPack makes the Description field: the summary, then this text indented (lines <= 80).
set(CPACK_PACKAGE_DESCRIPTION "Small command-line tools that find APC UPSs, rack PDUs and NetBotz
sensors over SNMP and Modbus, poll them, receive their traps, keep their
history in SQLite or PostgreSQL, and check their security settings against
the vendors' handbooks. They pass JSON lines to each other through pipes.
Hardened systemd units run the poller, the trap receiver and a nightly
audit as the unprivileged system user dce.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)       # dce-tools_VERSION_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF) # no shared libraries of our own
# The postinst runs systemd-sysusers (package systemd); adduser is not needed.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/dce-tools")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${DCE_PKG_DIR}/postinst ${DCE_PKG_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
