// `missile serve`: the inference server (Open Inference Protocol v2 over HTTP) for the tenants and models of
// a configuration file (docs/server.md), until SIGTERM or SIGINT; then it stops accepting connections,
// finishes the requests it has received and exits 0.
#include <signal.h>

#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "memory/vram_quota.h"
#include "server/blas_threads.h"
#include "server/http_server.h"
#include "server/shutdown_signal.h"

namespace missile::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::string repo;
  std::string host;
  int port = -1;
  int threads = 0;
};

int Serve(const ServeOptions& options) {
  // A client that hangs up while its response is being written must cost that response, not the process.
  signal(SIGPIPE, SIG_IGN);
  if (options.config.empty() == options.repo.empty()) {
    return ReportError(
        Error(ErrorCode::kInvalidArgument, "give exactly one of --config FILE and --repo DIR"));
  }
  auto config = options.config.empty() ? server::ConfigFromModelDirectory(options.repo)
                                       : server::LoadServerConfig(options.config);
  if (!config.ok()) return ReportError(config.status());
  if (!options.host.empty()) config->http.host = options.host;
  if (options.port >= 0) config->http.port = options.port;
  if (options.threads > 0) config->http.threads = options.threads;

  auto service = server::InferenceService::Create(*config);
  if (!service.ok()) return ReportError(service.status());
  const server::ServerConfig& effective = (*service)->config();
  std::cout << fmt::format("missile serve: backend {}, policy {} (in effect: {}), {} tenant{}, {} model{}\n",
                           effective.backend, effective.policy, (*service)->policy_in_effect(),
                           effective.tenants.size(), effective.tenants.size() == 1 ? "" : "s",
                           effective.models.size(), effective.models.size() == 1 ? "" : "s");
  for (const std::string& note : (*service)->executor_notes()) {
    std::cout << "missile serve: " << note << "\n";
  }
  // Tenants computing side by side share the cores; the CPU scheduler device computes one kernel at a time.
  const int computing_at_once =
      (*service)->tenants_compute_side_by_side() ? static_cast<int>(effective.tenants.size()) : 1;
  const int blas_threads = server::ConfigureBlasThreads(effective.blas_threads, computing_at_once);
  std::cout << fmt::format("missile serve: {} thread{} per BLAS call\n", blas_threads,
                           blas_threads == 1 ? "" : "s");
  std::cout.flush();
  if (Status loaded = (*service)->LoadStartupModels(); !loaded.ok()) return ReportError(loaded);
  for (const server::ModelConfig& model : effective.models) {
    std::cout << fmt::format("missile serve: model {} (tenant {}, {}{}{}): {}\n", model.name, model.tenant,
                             runtime::PrecisionName(model.gpu.precision),
                             model.gpu.cuda_graph ? ", CUDA graph" : "",
                             effective.backend == "cuda" && !model.gpu.allow_tf32 ? ", no TF32" : "",
                             model.load_at_start ? "ready" : "declared, not loaded");
  }

  server::HttpServer http(**service, effective.http);
  auto port = http.Bind();
  if (!port.ok()) return ReportError(port.status());
  auto signal_event = server::ShutdownSignal::Install();
  if (!signal_event.ok()) return ReportError(signal_event.status());

  std::thread watcher([&] {
    const int signal_number = (*signal_event)->Wait();
    if (signal_number == 0) return;  // cancelled: the server stopped on its own
    std::cout << fmt::format("missile serve: {} received: finishing in-flight requests\n",
                             signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    std::cout.flush();
    (*service)->BeginShutdown();
    http.Stop();
  });
  std::cout << fmt::format(
      "missile serve: listening on http://{}:{} ({} connection threads, body limit {})\n",
      effective.http.host, *port, effective.http.threads, memory::FormatBytes(effective.http.max_body_bytes));
  if (effective.http.socket_buffer_bytes > 0) {
    auto buffers = http.socket_buffers();
    if (!buffers.ok()) return ReportError(buffers.status());
    // The kernel doubles what was asked and caps it at net.core.{w,r}mem_max: say what it gave.
    std::cout << fmt::format(
        "missile serve: socket buffers: asked {} bytes, the kernel gave {} to send, {} to "
        "receive\n",
        effective.http.socket_buffer_bytes, buffers->send_bytes, buffers->receive_bytes);
  }
  if ((*service)->body_memory().page_locked()) {
    std::cout << fmt::format(
        "missile serve: request bodies in page-locked memory (up to {}, server.pinned_body_bytes): binary "
        "inputs go to the GPU from where they arrive\n",
        memory::FormatBytes(effective.http.pinned_body_bytes));
  }
  std::cout.flush();
  Status served = http.Serve();
  (*signal_event)->Cancel();
  watcher.join();
  (*service)->Shutdown();
  if (!served.ok()) return ReportError(served);
  std::cout << "missile serve: stopped\n";
  return 0;
}

}  // namespace

Command AddServeCommand(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve models over the Open Inference Protocol (KServe v2 REST) until SIGTERM (docs/server.md)");
  serve->add_option("--config,-c", options->config, "server configuration (JSON): tenants, models, policy");
  serve->add_option("--repo", options->repo,
                    "serve every DIR/<name>.onnx and DIR/<name>/model.onnx in one tenant, without a config");
  serve->add_option("--host", options->host, "listen address (overrides the config)");
  serve->add_option("--port,-p", options->port, "listen port, 0 for any free one (overrides the config)");
  serve->add_option("--threads", options->threads, "connection threads (overrides the config)");
  return {serve, [options] { return Serve(*options); }};
}

}  // namespace missile::cli
