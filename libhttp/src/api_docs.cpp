// The /docs page (spec §4.8): a self-contained renderer of /openapi.json.

#include "api_docs.hpp"

#include "response.hpp"

#include <clauster/core/crypto.hpp>

#include <boost/beast/http/field.hpp>

#include <string>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

// No external assets: the page must work offline and under the CSP of spec
// §2.1 (`script-src 'self' 'nonce-<n>'`, `style-src 'self' 'nonce-<n>'`), so
// the script and the style are inline and carry the response's nonce; the
// script builds the DOM with createElement/textContent only (no innerHTML, no
// inline event handlers, no style attributes, which that policy would block).
constexpr std::string_view page_head = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clauster API</title>
<style nonce=")html";

constexpr std::string_view page_style = R"html(">
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 small { font-weight: normal; color: #666; font-size: 0.6em; }
details.op { border: 1px solid #ccc; border-radius: 4px; margin: 0.4rem 0; }
details.op > summary { cursor: pointer; padding: 0.4rem 0.6rem; font-family: monospace; }
details.op > div { padding: 0 0.8rem 0.6rem; }
.m { display: inline-block; min-width: 4.5rem; font-weight: bold; }
.m-get { color: #0a6; } .m-post { color: #06c; } .m-delete { color: #c30; } .m-put { color: #a60; }
.sum { color: #555; font-family: system-ui, sans-serif; margin-left: 0.6rem; }
.id { color: #888; font-size: 0.85em; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 0.85em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: left; }
.err { color: #c30; }
</style>
</head>
<body>
<h1>clauster API <small id="version"></small></h1>
<p>Generated from <a href="openapi.json">openapi.json</a>.</p>
<div id="ops"><p>Loading&hellip;</p></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script nonce=")html";

constexpr std::string_view page_script = R"html(">
"use strict";
(function () {
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function pre(value) { return el("pre", null, JSON.stringify(value, null, 2)); }
  function renderOperation(path, method, op) {
    var d = el("details", "op");
    var s = el("summary");
    s.appendChild(el("span", "m m-" + method, method.toUpperCase()));
    s.appendChild(document.createTextNode(path));
    if (op.summary) s.appendChild(el("span", "sum", op.summary));
    d.appendChild(s);
    var body = el("div");
    body.appendChild(el("p", "id", "operationId: " + op.operationId));
    if (op.parameters && op.parameters.length) {
      body.appendChild(el("h4", null, "Parameters"));
      var t = el("table");
      var head = el("tr");
      ["name", "in", "description"].forEach(function (h) { head.appendChild(el("th", null, h)); });
      t.appendChild(head);
      op.parameters.forEach(function (p) {
        var r = el("tr");
        r.appendChild(el("td", null, p.name));
        r.appendChild(el("td", null, p["in"]));
        r.appendChild(el("td", null, p.description || ""));
        t.appendChild(r);
      });
      body.appendChild(t);
    }
    if (op.requestBody) {
      body.appendChild(el("h4", null, "Request body"));
      var rc = op.requestBody.content || {};
      Object.keys(rc).forEach(function (mt) { body.appendChild(el("p", null, mt)); body.appendChild(pre(rc[mt].schema)); });
    }
    body.appendChild(el("h4", null, "Responses"));
    Object.keys(op.responses || {}).forEach(function (code) {
      var res = op.responses[code];
      body.appendChild(el("p", code >= "400" ? "err" : null, code + " " + (res.description || "")));
      var c = res.content || {};
      Object.keys(c).forEach(function (mt) { body.appendChild(pre(c[mt].schema)); });
    });
    d.appendChild(body);
    return d;
  }
  function render(doc) {
    document.getElementById("version").textContent = (doc.info && doc.info.version) || "";
    var ops = document.getElementById("ops");
    ops.textContent = "";
    var methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    Object.keys(doc.paths || {}).forEach(function (path) {
      var item = doc.paths[path];
      methods.forEach(function (m) { if (item[m]) ops.appendChild(renderOperation(path, m, item[m])); });
    });
    var schemas = document.getElementById("schemas");
    var comp = (doc.components && doc.components.schemas) || {};
    Object.keys(comp).forEach(function (name) {
      var d = el("details", "op");
      d.id = "schema-" + name;
      d.appendChild(el("summary", null, name));
      var b = el("div");
      b.appendChild(pre(comp[name]));
      d.appendChild(b);
      schemas.appendChild(d);
    });
  }
  fetch("openapi.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("openapi.json: HTTP " + r.status);
      return r.json();
    })
    .then(render)
    .catch(function (e) {
      var ops = document.getElementById("ops");
      ops.textContent = "";
      ops.appendChild(el("p", "err", String(e)));
    });
})();
</script>
</body>
</html>
)html";

}  // namespace

std::string api_docs_page(std::string_view nonce) {
    std::string page;
    page.reserve(page_head.size() + page_style.size() + page_script.size() + 2 * nonce.size());
    page += page_head;
    page += nonce;
    page += page_style;
    page += nonce;
    page += page_script;
    return page;
}

net::awaitable<response> serve_api_docs(route_context) {
    // Our own nonce and CSP: apply_standard_headers keeps a CSP that is already set.
    const auto nonce = core::crypto::random_urlsafe(16);
    response res{beast::http::status::ok, 11};
    res.set(beast::http::field::content_type, "text/html; charset=utf-8");
    res.set(beast::http::field::cache_control, "no-store");
    res.set("Content-Security-Policy", content_security_policy(nonce));
    res.body() = api_docs_page(nonce);
    res.prepare_payload();
    co_return res;
}

}  // namespace clauster::http
