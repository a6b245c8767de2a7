# Warnings on for all our targets; sanitizers when FAULTLINE_SANITIZE is set.
add_compile_options(-Wall -Wextra)
if(FAULTLINE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# faultline_add_test(NAME target LABELS unit|integration|e2e|docker [TIMEOUT s])
# Registers a GoogleTest binary with ctest, every test case on its own, labelled.
function(faultline_add_gtest target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  target_link_libraries(${target} PRIVATE GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${target}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()

# faultline_glob_library(NAME DIR [DEPS ...])
# A static library of every .cpp directly in DIR (CONFIGURE_DEPENDS, so new
# files are picked up), or an interface library while DIR has none yet.
function(faultline_glob_library name dir)
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${FAULTLINE_ROOT})
    target_link_libraries(${name} PUBLIC ${ARGN})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${FAULTLINE_ROOT})
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()

# Adds every immediate subdirectory of DIR that has a CMakeLists.txt.
function(faultline_add_subdirectories dir)
  file(GLOB children CONFIGURE_DEPENDS ${dir}/*/CMakeLists.txt)
  foreach(child ${children})
    get_filename_component(child_dir ${child} DIRECTORY)
    add_subdirectory(${child_dir})
  endforeach()
endfunction()
