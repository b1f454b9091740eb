package eas_test

import (
	"fmt"
	"io"
	"strings"

	eas "github.com/eas-client/eas-client/clients/go"
)

// An event stream as an LLM service sends it: comments, multi-line data, CRLF line ends.
func ExampleNewSSEReader() {
	body := ": keep-alive\r\nevent: delta\r\ndata: Hel\r\ndata: lo\r\n\r\nid: 7\ndata: [DONE]\n\n"
	r := eas.NewSSEReader(strings.NewReader(body))
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %q id=%q\n", ev.Event, ev.Data, ev.ID)
	}
	// Output:
	// delta "Hel\nlo" id=""
	// message "[DONE]" id="7"
}
