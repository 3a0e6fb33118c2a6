// depickle batch: convert every pickle/joblib file under a folder. Each file
// is converted by its own `depickle convert` process, so one file cannot
// crash, hang or corrupt another's conversion; up to -j run at once.

#include "cli/batch.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/json_text.h"
#include "cli/model_files.h"
#include "core/error.h"

extern char** environ;

namespace depickle::cli {

namespace fs = std::filesystem;

namespace {

// One source file and what became of it.
struct Job {
  fs::path source;  // absolute
  std::string rel;  // relative to the source folder, the report's key
  fs::path output;  // absolute
  std::uint64_t bytes = 0;
  std::string sha256;
  std::string result;  // converted, skipped, refused, unsupported, malformed, limit, output-failed,
                       // internal
  int exit_code = -1;
  std::string message;
  std::string sklearn_version, container, root_class, output_sha256;
  double seconds = 0;
};

std::string extension(Format f) {
  switch (f) {
  case Format::kOnnx: return ".onnx";
  case Format::kJson: return ".json";
  case Format::kHdf5: return ".h5";
  }
  return "";
}

std::string result_of(int exit_code) {
  switch (exit_code) {
  case 0: return "converted";
  case 1: return "refused";
  case 3: return "malformed";
  case 4: return "unsupported";
  case 5: return "limit";
  case 6: return "output-failed";
  default: return "internal";
  }
}

// Exit status of the whole batch: the most severe category seen.
int severity(int exit_code) {
  switch (exit_code) {
  case 0: return 0;
  case 4: return 1;
  case 6: return 2;
  case 3: return 3;
  case 5: return 4;
  case 1: return 5;
  default: return 6;
  }
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Error(ErrorCode::kInternal, "batch", "cannot find the depickle executable");
  return {buf, static_cast<std::size_t>(n)};
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "key": "..." or "key": 123 in a flat JSON text we wrote ourselves.
std::string json_field(const std::string& text, const std::string& key, std::size_t from = 0) {
  std::size_t k = text.find("\"" + key + "\": ", from);
  if (k == std::string::npos) return {};
  std::size_t v = k + key.size() + 4;
  if (text[v] == '"') {
    std::size_t end = text.find('"', v + 1);
    return end == std::string::npos ? std::string() : text.substr(v + 1, end - v - 1);
  }
  std::size_t end = text.find_first_of(",}", v);
  return text.substr(v, end - v);
}

// Previous report: source -> (sha256, output), for --skip-existing.
std::map<std::string, std::pair<std::string, std::string>> previous_report(
    const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  if (path.empty() || !fs::exists(path)) return out;
  std::string text = read_file(path);
  for (std::size_t at = text.find("{\"source\": "); at != std::string::npos;
       at = text.find("{\"source\": ", at + 1)) {
    std::size_t end = text.find('}', at);
    std::string entry = text.substr(at, end - at);
    if (json_field(entry, "result") == "converted" || json_field(entry, "result") == "skipped") {
      out[json_field(entry, "source")] = {json_field(entry, "sha256"), json_field(entry, "output")};
    }
  }
  return out;
}

class Progress {
 public:
  Progress(std::size_t total, std::uint64_t bytes)
      : total_(total), bytes_(bytes), tty_(isatty(2) != 0) {}
  void done(const Job& job) {
    ++done_;
    done_bytes_ += job.bytes;
    if (!tty_) {
      std::cerr << "[" << done_ << "/" << total_ << "] " << job.result << " " << job.rel
                << (job.message.empty() ? "" : ": " + job.message) << "\n";
      return;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(done_bytes_) / elapsed : 0;
    double eta = rate > 0 ? static_cast<double>(bytes_ - done_bytes_) / rate : 0;
    char line[256];
    std::snprintf(line, sizeof line, "\r[%zu/%zu] %.1f/%.1f MB  %.1f MB/s  ETA %02d:%02d  ", done_,
                  total_, static_cast<double>(done_bytes_) / 1e6, static_cast<double>(bytes_) / 1e6,
                  rate / 1e6, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    std::cerr << line << std::flush;
    if (done_ == total_) std::cerr << "\n";
  }

 private:
  std::size_t total_;
  std::uint64_t bytes_;
  bool tty_;
  std::size_t done_ = 0;
  std::uint64_t done_bytes_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct Running {
  pid_t pid;
  Job* job;
  int err_fd;
  std::string err;
  fs::path manifest;
  std::chrono::steady_clock::time_point start;
};

}  // namespace

int batch(const BatchArgs& args, const Limits& limits) {
  std::error_code ec;
  fs::path src = fs::canonical(args.source, ec);
  if (ec || !fs::is_directory(src)) {
    throw Error(ErrorCode::kUsage, str_cat("source folder ", args.source), "is not a folder");
  }
  if (resolves_inside(fs::absolute(args.output), src)) {
    throw Error(ErrorCode::kUsage, str_cat("output folder ", args.output),
                "is inside the source folder (its outputs would become inputs)");
  }
  fs::create_directories(args.output, ec);
  fs::path out_root = fs::canonical(args.output, ec);
  if (ec) throw Error(ErrorCode::kOutput, str_cat("output folder ", args.output), ec.message());

  std::vector<Job> jobs;
  std::uint64_t total_bytes = 0;
  for (const fs::path& p : model_files(src)) {
    Job job;
    job.source = p;
    job.rel = p.lexically_relative(src).string();  // symlinks keep their own name
    job.output = out_root / (job.rel + extension(args.format));
    job.bytes = fs::file_size(p, ec);
    total_bytes += job.bytes;
    jobs.push_back(std::move(job));
  }
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.rel < b.rel; });

  auto previous =
      args.skip_existing ? previous_report(args.report) : decltype(previous_report("")){};
  std::string exe = self_exe();
  Progress progress(jobs.size(), total_bytes);
  std::vector<Running> running;
  std::size_t next = 0;
  std::size_t parallel =
      args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  fs::path scratch = out_root / ".depickle-batch";
  fs::create_directories(scratch, ec);
  auto wall_start = std::chrono::steady_clock::now();

  auto start_job = [&](Job& job) {
    job.sha256 = file_sha256(job.source.string());
    if (fs::exists(job.output)) {
      auto prev = previous.find(job.rel);
      bool unchanged = prev != previous.end() && prev->second.first == job.sha256;
      if (args.skip_existing && unchanged) {
        job.result = "skipped";
        job.exit_code = 0;
        job.message = "unchanged since the previous report";
        job.output_sha256 = file_sha256(job.output.string());
        progress.done(job);
        return;
      }
      if (!args.overwrite) {
        job.result = "skipped";
        job.exit_code = 0;
        job.message = "output exists (use --overwrite)";
        progress.done(job);
        return;
      }
    }
    fs::create_directories(job.output.parent_path(), ec);
    Running r{0,
              &job,
              -1,
              {},
              scratch / (std::to_string(&job - jobs.data()) + ".manifest.json"),
              std::chrono::steady_clock::now()};
    std::vector<std::string> argv = {exe,
                                     "convert",
                                     job.source.string(),
                                     "-o",
                                     job.output.string(),
                                     "--to",
                                     std::string(format_name(args.format)),
                                     "--manifest",
                                     r.manifest.string()};
    for (const auto& g : args.allow_globals) {
      argv.push_back("--allow-global");
      argv.push_back(g);
    }
    Limits defaults;
    for (const auto& f : limit_fields()) {
      if (limits.*f.member != defaults.*f.member) {
        argv.push_back("--limit");
        argv.push_back(str_cat(f.name, "=", limits.*f.member));
      }
    }
    for (const auto& extra : args.convert_options) argv.push_back(extra);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(ErrorCode::kInternal, "batch", "pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&r.pid, exe.c_str(), &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (rc != 0) {
      close(pipe_fds[0]);
      throw Error(ErrorCode::kInternal, "batch",
                  str_cat("cannot start a conversion: ", std::strerror(rc)));
    }
    r.err_fd = pipe_fds[0];
    running.push_back(std::move(r));
  };

  auto finish = [&](Running& r, int status) {
    Job& job = *r.job;
    job.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
    if (WIFEXITED(status)) {
      job.exit_code = WEXITSTATUS(status);
    } else {
      job.exit_code = 70;  // a crash stays this file's problem
      r.err =
          str_cat("depickle: internal error: the conversion died with signal ", WTERMSIG(status));
    }
    job.result = result_of(job.exit_code);
    std::string msg = r.err;
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    if (msg.starts_with("depickle: ")) msg = msg.substr(10);
    job.message = msg;
    if (job.exit_code == 0) {
      std::string m = read_file(r.manifest);
      std::size_t in = m.find("\"input\": ");
      std::size_t out = m.find("\"output\": ");
      job.sklearn_version = json_field(m, "sklearn_version", in);
      job.container = json_field(m, "container", in);
      job.root_class = json_field(m, "class", in);
      job.output_sha256 = json_field(m, "sha256", out);
    }
    fs::remove(r.manifest, ec);
    progress.done(job);
  };

  while (next < jobs.size() || !running.empty()) {
    while (running.size() < parallel && next < jobs.size()) start_job(jobs[next++]);
    if (running.empty()) continue;
    // Drain stderr of the running conversions, then reap whoever finished.
    std::vector<pollfd> fds;
    for (auto& r : running) fds.push_back({r.err_fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 100);
    for (std::size_t i = 0; i < running.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) != 0) {
        char buf[4096];
        ssize_t n = read(running[i].err_fd, buf, sizeof buf);
        if (n > 0 && running[i].err.size() < 65536)
          running[i].err.append(buf, static_cast<std::size_t>(n));
      }
    }
    for (std::size_t i = 0; i < running.size();) {
      int status = 0;
      if (waitpid(running[i].pid, &status, WNOHANG) == running[i].pid) {
        char buf[4096];
        ssize_t n;
        while ((n = read(running[i].err_fd, buf, sizeof buf)) > 0)
          running[i].err.append(buf, static_cast<std::size_t>(n));
        close(running[i].err_fd);
        finish(running[i], status);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  fs::remove_all(scratch, ec);
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  // Report and summary.
  std::map<std::string, std::size_t> counts;
  int worst = 0;
  int worst_code = 0;
  for (const auto& j : jobs) {
    ++counts[j.result];
    if (severity(j.exit_code) > worst) {
      worst = severity(j.exit_code);
      worst_code = j.exit_code;
    }
  }
  if (!args.report.empty()) {
    std::string r = "{\n";
    r += str_cat("  \"depickle_version\": ", json_string(version()), ",\n");
    r += str_cat("  \"source\": ", json_string(src.string()),
                 ",\n  \"output\": ", json_string(out_root.string()),
                 ",\n  \"format\": ", json_string(format_name(args.format)),
                 ",\n  \"seconds\": ", wall, ",\n");
    r += "  \"summary\": {";
    bool first = true;
    for (const auto& [k, v] : counts) {
      r += str_cat(first ? "" : ", ", json_string(k), ": ", v);
      first = false;
    }
    r += "},\n  \"files\": [\n";
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const Job& j = jobs[i];
      auto opt = [](const std::string& s) {
        return s.empty() ? std::string("null") : json_string(s);
      };
      r += str_cat("    {\"source\": ", json_string(j.rel), ", \"sha256\": ", json_string(j.sha256),
                   ", \"bytes\": ", j.bytes, ", \"sklearn_version\": ", opt(j.sklearn_version),
                   ", \"container\": ", opt(j.container), ", \"class\": ", opt(j.root_class),
                   ", \"result\": ", json_string(j.result), ", \"exit_code\": ", j.exit_code,
                   ", \"message\": ", opt(j.message), ", \"output\": ",
                   j.result == "converted" || j.result == "skipped"
                       ? json_string(j.output.lexically_relative(out_root).string())
                       : "null",
                   ", \"output_sha256\": ", opt(j.output_sha256), ", \"seconds\": ", j.seconds, "}",
                   i + 1 < jobs.size() ? ",\n" : "\n");
    }
    r += "  ]\n}\n";
    write_atomically(args.report, r);
  }
  std::cout << "depickle batch: " << jobs.size() << " files in " << wall << " s";
  for (const auto& [k, v] : counts) std::cout << ", " << v << " " << k;
  std::cout << "\n";
  for (const auto& j : jobs) {
    if (j.exit_code != 0) {
      std::cout << "  " << j.result << "\t" << j.rel << "\t" << j.message << "\n";
    }
  }
  return worst_code;
}

}  // namespace depickle::cli
