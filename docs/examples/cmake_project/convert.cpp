// convert MODEL OUTPUT — load a scikit-learn pickle with the depickle library
// (nothing in the file is executed), print its summary and save it as ONNX, JSON
// or HDF5, chosen by OUTPUT's extension (.onnx, .json, .h5, .hdf5).
//
// Exit codes are depickle's: 0 ok, 1 refused (a global outside the allow-list),
// 2 usage, 3 malformed, 4 unsupported, 5 limit exceeded, 6 output failure,
// 70 internal error.
#include <depickle.h>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << (argc > 0 ? argv[0] : "convert") << " MODEL OUTPUT\n"
              << "  MODEL   scikit-learn pickle or joblib file (never executed)\n"
              << "  OUTPUT  .onnx, .json, .h5 or .hdf5\n"
              << "depickle library " << depickle::version() << '\n';
    return depickle::exit_code(depickle::ErrorCode::kUsage);
  }
  const std::string input = argv[1];
  const std::string output = argv[2];
  try {
    const auto format = depickle::format_for_path(output);
    if (!format) {
      throw depickle::Error(depickle::ErrorCode::kUsage, "output '" + output + "'",
                            "unknown extension (use .onnx, .json, .h5 or .hdf5)");
    }
    const depickle::Model model = depickle::Model::load(input);
    const std::string summary = model.summary();
    std::cout << summary;
    if (!summary.empty() && summary.back() != '\n') std::cout << '\n';
    model.save(output, *format);  // atomic: temporary file, then rename
    std::cout << "wrote " << output << " (" << depickle::format_name(*format) << ")\n";
    return 0;
  } catch (const depickle::Error& e) {
    std::cerr << "convert: " << e.message() << '\n';
    return depickle::exit_code(e.code());
  } catch (const std::exception& e) {
    std::cerr << "convert: unexpected error: " << e.what() << '\n';
    return depickle::exit_code(depickle::ErrorCode::kInternal);
  }
}
