# Warnings and sanitizers for every target of the project.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter)
add_compile_definitions(_GNU_SOURCE)
if(TOCK_WERROR)
  add_compile_options(-Werror)
endif()
if(TOCK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
