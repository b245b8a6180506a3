package engine_test

import (
	"fmt"

	"github.com/amupgrade/amupgrade/engine"
)

// Files are printed the way AM and the vendor tool print them: key order,
// number text and unescaped characters kept.
func ExampleAppendJSON() {
	v, err := engine.Parse([]byte(`{"b": 1.50, "a": ["x", "y"], "url": "http://am/<x>&y", "e": {}}`))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(engine.AppendJSON(nil, v, engine.PrintOptions{})))
	// Output:
	// {
	//   "b" : 1.50,
	//   "a" : [ "x", "y" ],
	//   "url" : "http://am/<x>&y",
	//   "e" : { }
	// }
}

// Syntax errors carry a line and column and say what to do.
func ExampleParse() {
	_, err := engine.Parse([]byte("{\n  \"a\" : 1,\n}"))
	fmt.Println(err)
	// Output:
	// line 2, column 10: unexpected ',' before '}': JSON does not allow a trailing comma; remove it
}
