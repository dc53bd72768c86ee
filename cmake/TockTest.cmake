# add_tock_unit_test(name): one cmocka executable per common/ module,
# linked against the static library so internals are reachable.
function(add_tock_unit_test name)
  add_executable(${name} unit/${name}.c)
  target_link_libraries(${name} PRIVATE tock_common tocktest PkgConfig::CMOCKA)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
