// depickle command line: convert, inspect, scan.

#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "cli/batch.h"
#include "cli/commands.h"
#include "core/error.h"

namespace {

int fail_with(const depickle::Error& e) {
  std::cerr << "depickle: " << e.message() << "\n";
  return depickle::exit_code(e.code());
}

int run(int argc, char** argv) {
  using depickle::cli::ConvertArgs;
  CLI::App app{
      "depickle: convert scikit-learn pickle/joblib files to ONNX, HDF5 or JSON "
      "without executing them."};
  app.footer(depickle::cli::exit_code_help());
  app.set_version_flag("--version", std::string("depickle ") + std::string(depickle::version()));
  app.require_subcommand(1);
  std::vector<std::string> limit_args;
  auto add_limits = [&](CLI::App* cmd) {
    cmd->add_option("--limit", limit_args,
                    "Override a resource limit, e.g. --limit max_memo=100000 (repeatable)")
        ->type_name("NAME=N");
  };

  ConvertArgs convert;
  std::string to;
  auto* convert_cmd = app.add_subcommand("convert", "Convert a pickle/joblib file");
  convert_cmd->add_option("input", convert.input, "Input file (- for stdin)")->required();
  convert_cmd
      ->add_option("-o,--output", convert.output,
                   "Output file (- for stdout); the format follows the extension "
                   "(.json, .onnx, .h5, .hdf5)")
      ->required();
  convert_cmd->add_option("--to", to,
                          "Output format: json, onnx or hdf5 (overrides the extension)");
  convert_cmd->add_option("--opset", convert.options.onnx.opset,
                          "ONNX: ai.onnx opset, 13-17 (default 15; ai.onnx.ml is 3)");
  convert_cmd->add_flag("--double", convert.options.onnx.double_input,
                        "ONNX: float64 input X (exact for linear models) instead of float32");
  convert_cmd->add_flag("--zipmap", convert.options.onnx.zipmap,
                        "ONNX: add skl2onnx's ZipMap (outputs output_label, output_probability)");
  convert_cmd
      ->add_option("--allow-global", convert.allow_globals,
                   "Record this global although it is not allow-listed (inert, never "
                   "executed, never converted to ONNX): module.name or module.* (repeatable)")
      ->type_name("NAME");
  convert_cmd->add_option("--expect-sha256", convert.expect_sha256,
                          "Refuse (exit 1) an input whose SHA-256 differs, before parsing it");
  convert_cmd->add_option("--manifest", convert.manifest,
                          "Write a JSON provenance record: input/output SHA-256, version, options");
  convert_cmd->add_option("--compress", convert.options.hdf5.compress,
                          "HDF5: deflate level 0-9 for datasets (default 0: none)");
  add_limits(convert_cmd);

  depickle::cli::InspectArgs inspect;
  auto* inspect_cmd =
      app.add_subcommand("inspect", "Summarize a file: estimators, versions, arrays");
  inspect_cmd->add_option("input", inspect.input, "Input file (- for stdin)")->required();
  inspect_cmd->add_flag("--opcodes", inspect.opcodes,
                        "List every pickle opcode with its byte offset instead");
  add_limits(inspect_cmd);

  depickle::cli::ScanArgs scan;
  auto* scan_cmd = app.add_subcommand(
      "scan",
      "Check files against the allow-list without loading them (exit 0 only if all are safe)");
  scan_cmd->add_option("inputs", scan.inputs, "Files to scan; folders are walked for model files")
      ->required();
  scan_cmd->add_flag("--json", scan.json, "One JSON object per file per line");
  add_limits(scan_cmd);

  depickle::cli::BatchArgs batch;
  std::string batch_to = "onnx";
  auto* batch_cmd = app.add_subcommand(
      "batch", "Convert every pickle/joblib file under a folder (each in its own process)");
  batch_cmd
      ->add_option("source", batch.source,
                   "Folder to walk (recursively; files are recognised by content)")
      ->required();
  batch_cmd
      ->add_option("-o,--output", batch.output, "Folder for the outputs (the tree is mirrored)")
      ->required();
  batch_cmd->add_option("--to", batch_to, "Output format: onnx (default), json or hdf5");
  batch_cmd->add_option("-j,--jobs", batch.jobs, "Conversions at once (default: all cores)");
  batch_cmd->add_flag("--overwrite", batch.overwrite, "Replace outputs that exist");
  batch_cmd->add_flag(
      "--skip-existing", batch.skip_existing,
      "Skip files whose output exists and whose source is unchanged since --report");
  batch_cmd->add_option("--report", batch.report, "Write a JSON report of every file");
  batch_cmd->add_option("--allow-global", batch.allow_globals,
                        "Record this global although it is not allow-listed (repeatable)");
  std::int64_t batch_opset = 0;
  bool batch_double = false;
  unsigned batch_compress = 0;
  batch_cmd->add_option("--opset", batch_opset, "ONNX: ai.onnx opset (13-17)");
  batch_cmd->add_flag("--double", batch_double, "ONNX: float64 input");
  batch_cmd->add_option("--compress", batch_compress, "HDF5: deflate level 0-9");
  add_limits(batch_cmd);

  auto* list_cmd =
      app.add_subcommand("list-converters", "List the scikit-learn classes that convert to ONNX");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "depickle: usage: " << e.what() << " (see depickle --help)\n";
    return 2;
  }

  depickle::Limits limits;
  for (const auto& assignment : limit_args) depickle::cli::set_limit(limits, assignment);
  if (*convert_cmd) {
    if (!to.empty()) {
      convert.format = depickle::parse_format(to);
      if (!convert.format) {
        throw depickle::Error(depickle::ErrorCode::kUsage, "--to " + to,
                              "expected json, onnx or hdf5");
      }
    } else if (convert.output != "-" && !depickle::format_for_path(convert.output)) {
      throw depickle::Error(depickle::ErrorCode::kUsage, "output " + convert.output,
                            "cannot tell the format from the extension (use .json, .onnx, .h5, "
                            ".hdf5 or --to)");
    }
    return depickle::cli::convert(convert, limits);
  }
  if (*inspect_cmd) return depickle::cli::inspect(inspect, limits);
  if (*batch_cmd) {
    auto f = depickle::parse_format(batch_to);
    if (!f)
      throw depickle::Error(depickle::ErrorCode::kUsage, "--to " + batch_to,
                            "expected json, onnx or hdf5");
    batch.format = *f;
    if (batch_opset != 0)
      batch.convert_options.insert(batch.convert_options.end(),
                                   {"--opset", std::to_string(batch_opset)});
    if (batch_double) batch.convert_options.emplace_back("--double");
    if (batch_compress != 0)
      batch.convert_options.insert(batch.convert_options.end(),
                                   {"--compress", std::to_string(batch_compress)});
    return depickle::cli::batch(batch, limits);
  }
  if (*list_cmd) {
    for (const auto& c : depickle::onnx_converters())
      std::cout << c.family << "\t" << c.sklearn_class << "\n";
    return 0;
  }
  return depickle::cli::scan(scan, limits);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    return run(argc, argv);
  } catch (const depickle::Error& e) {
    return fail_with(e);
  } catch (const std::bad_alloc&) {
    std::cerr << "depickle: limit exceeded: out of memory (lower the input size or raise "
                 "limits only if the machine has the memory)\n";
    return 5;
  } catch (const std::exception& e) {
    std::cerr << "depickle: internal error: " << e.what() << "\n";
    return 70;
  }
}
