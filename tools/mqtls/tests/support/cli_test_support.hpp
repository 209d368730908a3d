#pragma once
/// @file
/// The shared support of the CLI tests (tools/mqtls/tests/*_test.cpp, one executable
/// mqtls_cli_tests), namespace mqtls::cli_test. Each part has one job:
///  - programs.hpp: the documented exit codes; argument lists (concat, mqtls); run_program,
///    run_mqtls and run_redirected with a time limit; BackgroundRun / BackgroundJob for a program
///    that must run while the test does something else;
///  - brokers.hpp: start_broker (a Mosquitto from mqtls::testing, the test failing when it does
///    not start), the connection flags (mqtls_command, mosquitto_command), wait_for_log and
///    wait_for_subscription;
///  - child_process.hpp: ChildProcess, a program stopped by its PID (`mqtls broker`, a `mqtls sub`
///    that waits for signals), with wait_listening, wait_for_output and wait_exit;
///  - network.hpp: loopback ports (free_port, accepts_tcp) and a SilentListener;
///  - files.hpp: read_file, write_file, exists, permissions, count_of, lines_of;
///  - fixtures.hpp: TempDirTest and PkiFolderTest (a PKI folder made with `mqtls pki`);
///  - eventually.hpp: the bounded polling wait everything above uses.
/// Every wait is bounded; every helper that cannot do its job fails the test and says why.
#include "brokers.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "files.hpp"
#include "fixtures.hpp"
#include "network.hpp"
#include "programs.hpp"
