# Installation and the Debian package.
#
#   cmake --install build --prefix /usr/local   installs dapscope and dapscope-ui (with its desktop entry and icon)
#   (cd build && cpack -G DEB)                  makes dapscope_<version>_<arch>.deb, installed under /usr
#
# The executables' install() rules stand next to them (cli/, ui/); tests and benchmarks have none, so they are
# never installed.
include(GNUInstallDirs)

if(TARGET dapscope-ui)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/dapscope-ui.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/dapscope-ui.svg
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
endif()

set(CPACK_PACKAGE_NAME dapscope)
set(CPACK_PACKAGE_VENDOR "dapscope")
set(CPACK_PACKAGE_CONTACT "dapscope maintainers <dapscope@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Protocol debugger for the RocketRide engine (capturing proxy, trace store, GUI)")
set(CPACK_PACKAGE_DESCRIPTION
    "dapscope sits between RocketRide SDKs and the engine as a capturing WebSocket
and HTTP relay, keeps every message in a SQLite trace store, and shows sessions,
tasks and timelines in a desktop GUI (dapscope-ui). It can also export, import
and replay what it captured.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # dapscope_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The Debian 12 packages of the shared libraries the two executables link (ldd, dpkg -S), with the versions
# dpkg-shlibdeps derives from the symbols they use. Dear ImGui is linked statically (libimgui-dev ships only
# libimgui.a), so it has no runtime package. After a change of what is linked, compare with
#   dpkg-shlibdeps -O build/bin/dapscope build/bin/dapscope-ui   (run from a folder holding debian/control)
set(DAPSCOPE_DEB_CLI_DEPENDS
    "libboost-json1.81.0 (>= 1.81.0), libc6 (>= 2.34), libgcc-s1 (>= 3.0), libhttp-parser2.9 (>= 2.7.1), \
libsqlite3-0 (>= 3.14.0), libssl3 (>= 3.0.0), libstdc++6 (>= 12), libwebsockets17 (>= 4.1.0), zlib1g (>= 1:1.2.8)")
set(DAPSCOPE_DEB_UI_DEPENDS
    "libglfw3 (>= 3.3) | libglfw3-wayland (>= 3.3), libopengl0, libstb0 (>= 0.0~git20180212.15.e6afb9c)")
if(TARGET dapscope-ui)
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "${DAPSCOPE_DEB_CLI_DEPENDS}, ${DAPSCOPE_DEB_UI_DEPENDS}")
    # The GUI draws with DejaVu when it is there (ui/Style.cpp), ImGui's built-in font otherwise.
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core")
    set(CPACK_DEBIAN_PACKAGE_SUGGESTS "xvfb") # xvfb-run dapscope-ui on a machine without a display
else()
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "${DAPSCOPE_DEB_CLI_DEPENDS}")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "") # no source package
include(CPack)
