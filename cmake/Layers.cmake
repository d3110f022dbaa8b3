# The layers, stated by the build: a library's headers are found only by the targets that link it.
#
# dapscope_layer(<folder> <target> [<source folder>]) gives <target> the include root
# ${CMAKE_BINARY_DIR}/layers/<folder>, which holds nothing but <folder>: a link to ${CMAKE_SOURCE_DIR}/<folder>
# (or to <source folder>). So "<folder>/X.hpp" resolves for <target> and for whatever links it (PUBLIC), and for
# nothing else: an include against the layers fails to compile.
function(dapscope_layer folder target)
    set(source ${CMAKE_SOURCE_DIR}/${folder})
    if(ARGC GREATER 2)
        set(source ${ARGV2})
    endif()
    set(root ${CMAKE_BINARY_DIR}/layers/${folder})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${source} ${root}/${folder} SYMBOLIC)
    target_include_directories(${target} PUBLIC ${root})
endfunction()
