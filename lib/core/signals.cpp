#include "core/signals.hpp"

#include <atomic>
#include <csignal>

namespace dce {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
    g_signal.store(sig);
}

}  // namespace

bool interrupted() {
    return g_signal.load() != 0;
}
int interrupt_signal() {
    return g_signal.load();
}
void request_interrupt() {
    g_signal.store(SIGINT);
}

void install_stop_handlers() {
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace dce
