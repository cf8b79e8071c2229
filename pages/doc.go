// Package pages renders edgeauth's HTML pages: the sign-in form, the
// consent page and the error page. It knows nothing of the protocol: the
// browser flow (authflow) fills the pages' fields and writes them.
//
// The pages are written by hand, not with html/template: text/template
// looks methods up by name at run time, which makes the linker keep every
// exported method of every type in the Worker's wasm. The rule that keeps
// them safe: every value that is not a constant of this package goes
// through page.text, which escapes & < > " and ', and is placed either in
// element text or inside a double-quoted attribute that is not a script or
// style. The URL attributes are a form's action, built by the server from
// the issuer path and a constant, and a client's logo and policy links
// (img src, a href), written only when the value starts with https://
// (httpsURL), so no other scheme can reach them. TestPagesEscapeEveryValue
// checks every field; TestPagesShowOnlyHTTPSURLs the schemes.
package pages
