# DepickleConvert.cmake — convert scikit-learn pickles at build time with depickle.
#
# Installed with depickle's CMake package; `find_package(depickle CONFIG REQUIRED)`
# includes it. It can also be included on its own (then the `depickle` program is
# looked up on PATH, or wherever the cache variable DEPICKLE_EXECUTABLE points).
#
#   depickle_convert(TARGET <name>
#                    INPUT <model.pkl>
#                    OUTPUT <model.onnx | model.json | model.h5 | model.hdf5>
#                    [OPTIONS <depickle convert options>...]
#                    [MANIFEST <record.json>]
#                    [EXCLUDE_FROM_ALL])
#
# Adds a custom command that runs
#
#   depickle convert <INPUT> -o <OUTPUT> <OPTIONS>... [--manifest <MANIFEST>]
#
# and a custom target <name> that depends on its result. The pickle is only read by
# depickle's restricted VM, never executed.
#
#   TARGET    name of the custom target (built by `all` unless EXCLUDE_FROM_ALL).
#   INPUT     the pickle/joblib file; a relative path is relative to
#             CMAKE_CURRENT_SOURCE_DIR.
#   OUTPUT    the converted file, a build artifact; a relative path is relative to
#             CMAKE_CURRENT_BINARY_DIR. The format follows the extension (.onnx,
#             .json, .h5, .hdf5) unless OPTIONS contains `--to <format>`.
#   OPTIONS   extra arguments for `depickle convert` (`--double`, `--opset 17`,
#             `--zipmap`, `--compress 4`, `--limit name=N`, ...), passed verbatim.
#   MANIFEST  also write a JSON provenance record (`--manifest`): input and output
#             SHA-256, depickle version, options. Relative to CMAKE_CURRENT_BINARY_DIR.
#
# The conversion re-runs when INPUT changes or when the depickle executable changes
# (and, with the package's shared library, when libdepickle changes). The absolute
# paths of the results are stored on the target as the properties DEPICKLE_OUTPUT
# and DEPICKLE_MANIFEST.
#
# The executable is the package's imported target depickle::cli when it exists, else
# `find_program(DEPICKLE_EXECUTABLE depickle)`.
#
# Example:
#
#   find_package(depickle CONFIG REQUIRED)
#   depickle_convert(TARGET iris_model
#                    INPUT models/iris.pkl
#                    OUTPUT iris.onnx
#                    OPTIONS --double
#                    MANIFEST iris.manifest.json)
#   get_target_property(iris_onnx iris_model DEPICKLE_OUTPUT)
#   install(FILES ${iris_onnx} DESTINATION share/models)
#   add_dependencies(my_app iris_model)   # if my_app needs the model at build time

include_guard(GLOBAL)

if(CMAKE_VERSION VERSION_LESS 3.22)
  message(FATAL_ERROR "DepickleConvert.cmake needs CMake 3.22 or newer (this is ${CMAKE_VERSION})")
endif()

# The command (a list usable after COMMAND) and the files the conversion depends on,
# for the depickle executable. Sets <out_command> and <out_depends> in the caller.
function(_depickle_convert_executable out_command out_depends)
  if(TARGET depickle::cli)
    set(deps "$<TARGET_FILE:depickle::cli>")
    if(TARGET depickle::depickle)
      get_target_property(lib_type depickle::depickle TYPE)
      if(lib_type STREQUAL "SHARED_LIBRARY")
        list(APPEND deps "$<TARGET_FILE:depickle::depickle>")
      endif()
    endif()
    set(${out_command} "$<TARGET_FILE:depickle::cli>" PARENT_SCOPE)
    set(${out_depends} "${deps}" PARENT_SCOPE)
    return()
  endif()
  find_program(DEPICKLE_EXECUTABLE NAMES depickle
               DOC "The depickle program used by depickle_convert()")
  if(NOT DEPICKLE_EXECUTABLE)
    message(FATAL_ERROR
      "depickle_convert: the depickle program was not found. Use find_package(depickle "
      "CONFIG REQUIRED) (which provides depickle::cli), put depickle on PATH, or set "
      "DEPICKLE_EXECUTABLE to its path.")
  endif()
  set(${out_command} "${DEPICKLE_EXECUTABLE}" PARENT_SCOPE)
  set(${out_depends} "${DEPICKLE_EXECUTABLE}" PARENT_SCOPE)
endfunction()

function(depickle_convert)
  cmake_parse_arguments(PARSE_ARGV 0 arg "EXCLUDE_FROM_ALL" "TARGET;INPUT;OUTPUT;MANIFEST"
                        "OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "depickle_convert: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required IN ITEMS TARGET INPUT OUTPUT)
    if(NOT arg_${required})
      message(FATAL_ERROR "depickle_convert: ${required} is required")
    endif()
  endforeach()
  if("MANIFEST" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "depickle_convert: MANIFEST needs a file name")
  endif()
  if(TARGET ${arg_TARGET})
    message(FATAL_ERROR "depickle_convert: a target named '${arg_TARGET}' already exists")
  endif()

  cmake_path(ABSOLUTE_PATH arg_INPUT BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE
             OUTPUT_VARIABLE input)
  cmake_path(ABSOLUTE_PATH arg_OUTPUT BASE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}" NORMALIZE
             OUTPUT_VARIABLE output)

  # The format comes from the extension unless --to is given.
  if(NOT "--to" IN_LIST arg_OPTIONS)
    cmake_path(GET output EXTENSION LAST_ONLY ext)
    string(TOLOWER "${ext}" ext)
    if(NOT ext MATCHES "^\\.(onnx|json|h5|hdf5)$")
      message(FATAL_ERROR
        "depickle_convert: OUTPUT '${arg_OUTPUT}' must end in .onnx, .json, .h5 or .hdf5 "
        "(or pass OPTIONS --to <format>)")
    endif()
  endif()

  set(outputs "${output}")
  set(manifest_args "")
  set(manifest "")
  if(DEFINED arg_MANIFEST)
    cmake_path(ABSOLUTE_PATH arg_MANIFEST BASE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}" NORMALIZE
               OUTPUT_VARIABLE manifest)
    list(APPEND outputs "${manifest}")
    set(manifest_args --manifest "${manifest}")
  endif()

  set(dirs "")
  foreach(file IN LISTS outputs)
    cmake_path(GET file PARENT_PATH dir)
    list(APPEND dirs "${dir}")
  endforeach()
  list(REMOVE_DUPLICATES dirs)

  _depickle_convert_executable(depickle_command depickle_depends)
  cmake_path(GET input FILENAME input_name)
  cmake_path(GET output FILENAME output_name)

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${CMAKE_COMMAND}" -E make_directory ${dirs}
    COMMAND ${depickle_command} convert "${input}" -o "${output}" ${arg_OPTIONS} ${manifest_args}
    DEPENDS "${input}" ${depickle_depends}
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    COMMENT "depickle: converting ${input_name} to ${output_name}"
    VERBATIM)

  if(arg_EXCLUDE_FROM_ALL)
    add_custom_target(${arg_TARGET} DEPENDS ${outputs})
  else()
    add_custom_target(${arg_TARGET} ALL DEPENDS ${outputs})
  endif()
  set_target_properties(${arg_TARGET} PROPERTIES
    DEPICKLE_INPUT "${input}"
    DEPICKLE_OUTPUT "${output}"
    DEPICKLE_MANIFEST "${manifest}")
endfunction()
