#include <clauster/core/redaction.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using clauster::core::redact_line;
using clauster::core::strip_ansi;

TEST_CASE("redaction masks ids and secret shapes", "[core]") {
    struct row {
        std::string in;
        std::string out;
    };
    const std::vector<row> table{
        {"plain text stays", "plain text stays"},
        {"environment_id=env_01TESTENVAAAAAAAAAAAAAAAA ok", "environment_id=env_<redacted> ok"},
        {"Created initial session session_01TESTSTARTERAAAAAAAAAA", "Created initial session session_<redacted>"},
        {"anchor cse_01ABCDEFGHJK", "anchor cse_<redacted>"},
        {"short env_abc stays", "short env_abc stays"},
        {"bridgeId=11111111-2222-3333-4444-555555555555 x", "bridgeId=<redacted> x"},
        {"token ghp_0123456789abcdefghijABCDEFGHIJ012345", "token <redacted>"},
        {"github_pat_11ABCDEFG0123456789abcdefghij", "<redacted>"},
        {"glpat-abcdefghij0123456789", "<redacted>"},
        {"AKIAABCDEFGHIJKLMNOP in config", "<redacted> in config"},
        {"key sk-ant-api03-abcdefghijklmnop", "key <redacted>"},
        {"xoxb-1234567890-abcdef", "<redacted>"},
        {"clauster_pat_abcdefghijklmnopqrstuvwxyz", "<redacted>"},
        {"Authorization: Bearer abc.def-ghi_jkl0123", "Authorization: Bearer <redacted>"},
        {"authorization: BEARER   abcdefghijklmnop", "authorization: BEARER   <redacted>"},
        {"Bearer short", "Bearer short"},
        {"welded:ghp_0123456789abcdefghijABCD", "welded:<redacted>"},
    };
    for (const auto& r : table) {
        CAPTURE(r.in);
        CHECK(redact_line(r.in) == r.out);
    }
}

TEST_CASE("ANSI codes and invisible characters cannot hide a secret", "[core]") {
    CHECK(strip_ansi("\x1b[31mred\x1b[0m") == "red");
    CHECK(strip_ansi("a\x1b]0;title\x07" "b") == "ab");
    CHECK(strip_ansi("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb");
    CHECK(strip_ansi("zero\xE2\x80\x8Bwidth\xEF\xBB\xBF") == "zerowidth");
    // A secret split by colour codes is joined first, then masked.
    CHECK(redact_line("ghp_0123456789\x1b[1mabcdefghij\x1b[0mABCD") == "<redacted>");
    CHECK(redact_line("Bearer \xE2\x80\x8B" "abcdefghijklmnop") == "Bearer <redacted>");
}

TEST_CASE("redaction is linear on hostile input", "[core]") {
    const std::string osc(2'000'000, ']');
    std::string unterminated = "\x1b]" + std::string(1'000'000, 'a');
    std::string many_prefixes;
    for (int i = 0; i < 200'000; ++i) many_prefixes += "env_ ";
    const auto start = std::chrono::steady_clock::now();
    CHECK(redact_line(osc).size() == osc.size());
    CHECK(strip_ansi(unterminated).empty());
    CHECK(redact_line(many_prefixes) == many_prefixes);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
