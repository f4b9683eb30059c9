# `make install` (PREFIX, DESTDIR) and `make package` (a .deb through CPack): the binary,
# the default seccomp profile, man pages and completion scripts. barco-init and barco-audit
# are built into the binary, so there is nothing else to ship.
include(GNUInstallDirs)

install(TARGETS barco RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES profiles/default.json profiles/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/barco/profiles)
# Debian's place for the licence; README.md next to it.
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages and completion are written by the binary itself, which a cross build cannot run.
if(NOT CMAKE_CROSSCOMPILING)
  set(BARCO_DOCS ${PROJECT_BINARY_DIR}/docs)
  add_custom_command(OUTPUT ${BARCO_DOCS}/stamp
    COMMAND sh ${PROJECT_SOURCE_DIR}/cmake/make-docs.sh $<TARGET_FILE:barco> ${BARCO_DOCS} ${PROJECT_SOURCE_DIR}/README.md
    DEPENDS barco ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/cmake/make-docs.sh
    COMMENT "Writing man pages and completion scripts from barco's command line")
  add_custom_target(barco_docs ALL DEPENDS ${BARCO_DOCS}/stamp)
  install(DIRECTORY ${BARCO_DOCS}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${BARCO_DOCS}/completion/barco DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  install(FILES ${BARCO_DOCS}/completion/_barco DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
  install(FILES ${BARCO_DOCS}/completion/barco.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME barco)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "barco developers <barco-dev@lists.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "small, fast, explainable Linux container runtime (OCI, runc-compatible)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "small, fast, explainable Linux container runtime (OCI, runc-compatible)
 barco runs a command in a container with namespaces, cgroups v1/v2, pivot_root,
 docker's mounts, capabilities and seccomp profiles. --dry-run prints every kernel
 operation with its reason; --privileged shows what docker's flag turns off. It speaks
 runc's OCI command line, so docker, containerd and podman can drive it.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# A package installs into /usr, whatever prefix `make install` was configured with.
set(CPACK_SET_DESTDIR OFF)
set(CPACK_STRIP_FILES ON)
# The static build needs no shared library; a dynamic one gets its Depends from dpkg-shlibdeps.
if(BARCO_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
include(CPack)
