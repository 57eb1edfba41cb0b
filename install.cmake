# install.cmake — what `cmake --install` puts where (GNUInstallDirs), and
# the files made for it: man pages (scdoc), libhrclient.pc, the systemd
# units with this install's paths.

# hr_install_configured(TEMPLATE.in DESTINATION): install TEMPLATE with
# its @VARIABLES@ filled in at install time, so that the paths in it are
# those of the prefix really installed to (cmake --install --prefix):
# @PROJECT_VERSION@, @HR_PREFIX@ and @HR_FULL_<DIR>@ for GNUInstallDirs' SBINDIR,
# LIBDIR, INCLUDEDIR and DATADIR.
function(hr_install_configured template destination)
  get_filename_component(name ${template} NAME_WLE)
  set(out ${CMAKE_BINARY_DIR}/install-configured/${name})
  set(code "set(PROJECT_VERSION ${PROJECT_VERSION})\nset(HR_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")\n")
  foreach(dir SBINDIR LIBDIR INCLUDEDIR DATADIR)
    set(path ${CMAKE_INSTALL_${dir}})
    if(NOT IS_ABSOLUTE ${path})
      set(path "\${CMAKE_INSTALL_PREFIX}/${path}")
    endif()
    string(APPEND code "set(HR_FULL_${dir} \"${path}\")\n")
  endforeach()
  install(CODE "${code}configure_file(${CMAKE_SOURCE_DIR}/${template} ${out} @ONLY)")
  install(FILES ${out} DESTINATION ${destination})
endfunction()

install(TARGETS hrd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS hrctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# --- libhrclient: shared (SOVERSION), static, header, pkg-config ---------
install(TARGETS hrclient LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${HRCLIENT_ARCHIVE} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES client/hrclient.h ${CMAKE_BINARY_DIR}/include/hrclient_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
hr_install_configured(client/libhrclient.pc.in
                      ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# The wire contract, for clients in other languages (or other protobuf
# libraries) that call through hr_client_call_raw.
install(FILES proto/homerack.proto
        DESTINATION ${CMAKE_INSTALL_DATADIR}/homerack/proto)

# --- the product's data: HomeRack's migrations and models ----------------
install(DIRECTORY migrations/ DESTINATION ${CMAKE_INSTALL_DATADIR}/homerack/migrations
        FILES_MATCHING PATTERN "*.sql")
install(DIRECTORY models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/homerack/models
        FILES_MATCHING PATTERN "*.sql")

# --- systemd units --------------------------------------------------------
# Debian 12 keeps units in /lib/systemd/system (debian/rules says so);
# under any other prefix they go beside the rest.
set(HR_SYSTEMD_UNIT_DIR lib/systemd/system
    CACHE PATH "where the systemd units are installed (relative: under the prefix)")
hr_install_configured(contrib/systemd/hrd.service.in ${HR_SYSTEMD_UNIT_DIR})
install(FILES contrib/systemd/hrd.socket DESTINATION ${HR_SYSTEMD_UNIT_DIR})

# --- bash completion --------------------------------------------------------
install(FILES contrib/bash-completion/hrctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# --- man pages: one scdoc source each (docs/man/) --------------------------
find_program(SCDOC scdoc)
if(SCDOC)
  foreach(page hrd.8 hrctl.1 homerack-migrations.5)
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
    add_custom_command(
      OUTPUT ${CMAKE_BINARY_DIR}/man/${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd
              > ${CMAKE_BINARY_DIR}/man/${page}
      DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd
      COMMENT "scdoc ${page}")
    list(APPEND HR_MAN_PAGES ${CMAKE_BINARY_DIR}/man/${page})
    install(FILES ${CMAKE_BINARY_DIR}/man/${page}
            DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${HR_MAN_PAGES})
else()
  message(STATUS "scdoc not found: man pages are not built nor installed "
                 "(scripts/install-deps.sh installs it)")
endif()
