package pages

// DeviceCode is the device verification page's form (RFC 8628 §3.3): the
// user types the code their device shows. It is a GET form: what it
// sends is a lookup, and the same URL with user_code filled in is the
// verification_uri_complete a device may show instead.
type DeviceCode struct {
	Title, TenantName string
	// UserCode is what was typed so far; Message says what was wrong.
	UserCode, Message string
	Action            string
}

// HTML renders the page.
func (d DeviceCode) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>Connect a device to ", d.TenantName, "</h1>\n")
	p.raw(`<p class="muted">Type the code your device shows.</p>` + "\n")
	if d.Message != "" {
		p.textIn(`<p class="error" role="alert">`, d.Message, "</p>\n")
	}
	p.textIn(`<form method="get" action="`, d.Action, "\">\n")
	p.textIn(`<label for="user_code">Code</label>
<input type="text" class="code" id="user_code" name="user_code" value="`, d.UserCode, `" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
<button type="submit">Continue</button>
</form>
`)
	return p.bytes()
}

// Notice tells the user how something ended: a device connected, a
// request denied, a code that expired meanwhile.
type Notice struct {
	Title, Heading, Message string
	// Error shows the message as an error.
	Error bool
}

// HTML renders the page.
func (d Notice) HTML() []byte {
	p := newPage(d.Title)
	p.textIn("<h1>", d.Heading, "</h1>\n")
	class := "muted"
	if d.Error {
		class = "error"
	}
	p.textIn(`<p class="`+class+`" role="status">`, d.Message, "</p>\n")
	return p.bytes()
}
