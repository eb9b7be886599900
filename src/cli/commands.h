// The `missile` subcommands. Each registers its options on the app and runs when selected.
#pragma once

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace missile::cli {

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;  // runs the parsed subcommand, returns the process exit code
};

Command AddRunCommand(CLI::App& app);
Command AddInspectCommand(CLI::App& app);
Command AddDevicesCommand(CLI::App& app);
Command AddProfileCommand(CLI::App& app);
Command AddSimulateCommand(CLI::App& app);
Command AddServeCommand(CLI::App& app);
Command AddBenchCommand(CLI::App& app);
Command AddProbeCommand(CLI::App& app);

// Prints "missile: error: ..." on stderr and returns the exit code for errors.
int ReportError(const Status& status);

}  // namespace missile::cli
