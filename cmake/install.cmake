# Installation and packaging (included last from the top-level
# CMakeLists.txt): `cmake --install build [--prefix P]` and `cpack -G DEB`.
#
# Two install components, which are also the two Debian packages:
#   runtime -> `seedlm`: the user-facing binaries and their bash completions;
#   dev     -> `libseedlm-dev`: the public headers, the static libraries and
#              the CMake package, so that `find_package(seedlm CONFIG
#              REQUIRED)` gives seedlm::core (the RPC-free library: model
#              readers, compression, the runtime) and seedlm::client (the
#              typed gRPC clients). `COMPONENTS core` alone needs no gRPC.
# docs/API.md shows both in use; tests/install/ builds its examples against
# an installed tree and against the installed .deb.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SEEDLM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/seedlm)

# --- Binaries (component runtime) -------------------------------------------
set(SEEDLM_INSTALL_BINARIES seedlm seedlm-coordinator seedlm-worker
  seedlm-serve seedlm-executor)
if(TARGET seedlm-health-probe)
  list(APPEND SEEDLM_INSTALL_BINARIES seedlm-health-probe)
endif()
install(TARGETS ${SEEDLM_INSTALL_BINARIES}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# One completion file per binary, generated at build time into
# build/completions/ (absent in trees built before the generator existed).
install(DIRECTORY ${CMAKE_BINARY_DIR}/completions/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  COMPONENT runtime OPTIONAL)

# --- Libraries and the CMake package (component dev) ------------------------
# The libraries keep their build names (libseedlm_codec.a, ...) and are
# imported as seedlm::<short name>; seedlm::core and seedlm::client are the
# two that users name.
set(SEEDLM_CORE_LIBS seedlm_util seedlm_version seedlm_codec seedlm_search
  seedlm_format seedlm_model seedlm_model_metadata seedlm_compress
  seedlm_tokenizer seedlm_runtime)
set(SEEDLM_CLIENT_LIBS seedlm_proto seedlm_rpc seedlm_client)
foreach(lib ${SEEDLM_CORE_LIBS} ${SEEDLM_CLIENT_LIBS} seedlm_core)
  string(REGEX REPLACE "^seedlm_" "" short ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${short})
endforeach()
# core/util/version.h is a public header: its library belongs to the
# installed seedlm::core (only there, so that a new `git describe` does not
# relink everything that links seedlm_core in the build tree).
target_link_libraries(seedlm_core INTERFACE
  $<INSTALL_INTERFACE:seedlm::version>)

install(TARGETS ${SEEDLM_CORE_LIBS} seedlm_core EXPORT seedlmCoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${SEEDLM_CLIENT_LIBS} EXPORT seedlmClientTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT seedlmCoreTargets NAMESPACE seedlm::
  DESTINATION ${SEEDLM_CMAKE_DIR} COMPONENT dev)
install(EXPORT seedlmClientTargets NAMESPACE seedlm::
  DESTINATION ${SEEDLM_CMAKE_DIR} COMPONENT dev)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/seedlmConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/seedlmConfig.cmake
  INSTALL_DESTINATION ${SEEDLM_CMAKE_DIR})
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/cmake/seedlmConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/seedlmConfig.cmake
  ${CMAKE_BINARY_DIR}/cmake/seedlmConfigVersion.cmake
  DESTINATION ${SEEDLM_CMAKE_DIR} COMPONENT dev)

# --- Public headers (component dev) -----------------------------------------
# Every header of core/ and client/lib/ but the tests' and fuzzers' helpers,
# the internal ones (no public header includes any of these) and the
# fast-vs-reference checker (its library is not installed).
foreach(dir core client/lib)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir} COMPONENT dev
    FILES_MATCHING PATTERN "*.h"
    PATTERN "*_test.h" EXCLUDE PATTERN "*_testing.h" EXCLUDE
    PATTERN "*_test_util.h" EXCLUDE PATTERN "*_internal.h" EXCLUDE
    PATTERN "*_fuzz_util.h" EXCLUDE PATTERN "fuzz_check.h" EXCLUDE
    PATTERN "shared_data*.h" EXCLUDE PATTERN "equivalence.h" EXCLUDE
    PATTERN "fake_*.h" EXCLUDE PATTERN "retry.h" EXCLUDE
    PATTERN "testdata" EXCLUDE)
endforeach()
# The generated protobuf/gRPC headers the client headers include
# ("seedlm/v1/compression.pb.h"), with the .proto files they come from.
install(DIRECTORY ${CMAKE_BINARY_DIR}/proto_gen/seedlm
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.pb.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/proto/seedlm
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.proto")
# The API guide, where Debian looks for a package's documentation.
install(FILES ${PROJECT_SOURCE_DIR}/docs/API.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libseedlm-dev COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/seedlm COMPONENT runtime)

# --- Debian packages: `cpack -G DEB` in build/ --------------------------------
set(CPACK_PACKAGE_NAME seedlm)
set(CPACK_PACKAGE_VENDOR "SeedLM")
set(CPACK_PACKAGE_CONTACT "SeedLM maintainers <seedlm@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it above both
# packages' descriptions, whose first lines are their own synopses.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
# Stripped binaries (the build keeps -g1), gzip: the fastest of dpkg's.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME seedlm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION utils)
# dpkg-shlibdeps turns the binaries' shared libraries into Depends.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS bash-completion)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "SeedLM: LLM weights compressed into pseudo-random generator seeds
SeedLM compresses the weights of large language models into the seeds of
pseudo-random generators and runs them. This package has the tools:
seedlm (compress, inspect, verify, generate, submit, ...), the compression
service (seedlm-coordinator, seedlm-worker) and the inference server
(seedlm-serve, seedlm-executor), with bash completions.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libseedlm-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What seedlmConfig.cmake finds (find_dependency) and the installed headers
# include; protobuf-compiler-grpc because gRPC's CMake package checks that
# grpc_cpp_plugin exists.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "seedlm (= ${PROJECT_VERSION}), libabsl-dev, nlohmann-json3-dev, libeigen3-dev, libre2-dev, libicu-dev, libssl-dev, zlib1g-dev, pkg-config | pkgconf, libprotobuf-dev, libgrpc++-dev, protobuf-compiler-grpc")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "SeedLM C++ libraries, headers and CMake package
find_package(seedlm CONFIG REQUIRED) gives seedlm::core (model readers,
compression, the Llama runtime; no RPC) and seedlm::client (the typed gRPC
clients of the compression and inference services); the examples are in
/usr/share/doc/libseedlm-dev/API.md.")
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
include(CPack)

# --- Tests of the above -------------------------------------------------------
# api_doc_check: docs/API.md's examples are tests/install/consumer/ (fast).
# install_test: install into a temp prefix, build the consumer against it and
# run it against the CLI and a real coordinator and worker (30-55 s here).
# tests/install/deb_check.sh (the .deb, installed into /usr) is run by CI as
# root, not by ctest.
if(BUILD_TESTING)
  add_test(NAME api_doc_check
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/api_doc_check.sh
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endif()
# Not in the sanitizer trees: the consumer would link instrumented libraries
# without the sanitizers' runtimes.
if(BUILD_TESTING AND NOT SEEDLM_SANITIZE AND NOT SEEDLM_TSAN)
  add_test(NAME install_test
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/install_test.sh
      ${CMAKE_BINARY_DIR}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(install_test PROPERTIES LABELS long TIMEOUT 900
    SKIP_RETURN_CODE 77)
endif()
