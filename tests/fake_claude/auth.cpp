// `claude auth status [--json|--text]`.
//
// Shape as the real CLI prints it: `loggedIn`, `authMethod` ("claude.ai",
// "api_key" or "none"), `apiProvider`, account fields; exit 0 when logged in,
// 1 (still with JSON on stdout) when not. FAKE_CLAUDE_AUTH=logged_out|error.

#include "entry_points.hpp"

#include "common.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <string>

namespace clauster::fake_claude {

namespace json = boost::json;

int run_auth(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    if (args.size() < 2 || args[1] != "status") {
        std::fprintf(stderr, "fake-claude: unknown args %s\n", render_args(args).c_str());
        return 2;
    }
    const std::string mode = env_string("FAKE_CLAUDE_AUTH", "logged_in");
    if (mode == "error") {
        std::fputs("Error: failed to read credentials: ~/.claude/.credentials.json is not valid JSON\n", stderr);
        return 1;
    }
    const bool logged_in = mode != "logged_out";
    json::object status;
    status["loggedIn"] = logged_in;
    status["authMethod"] = logged_in ? "claude.ai" : "none";
    status["apiProvider"] = "firstParty";
    if (logged_in) {
        status["email"] = "fake-user@example.com";
        status["orgId"] = "00000000-0000-4000-8000-000000000001";
        status["orgName"] = "Fake Org";
        status["subscriptionType"] = "max";
        status["expiresAt"] = epoch_ms() + 8 * 3600 * 1000;
    }
    if (has_flag(args, "--text")) {
        if (logged_in)
            std::puts("Logged in to claude.ai as fake-user@example.com (Fake Org, max)");
        else
            std::puts("Not logged in. Run `claude auth login` to sign in.");
    } else {
        std::printf("%s\n", json::serialize(status).c_str());
    }
    return logged_in ? 0 : 1;
}

}  // namespace clauster::fake_claude
