package engine_test

import (
	"fmt"

	"github.com/amupgrade/amupgrade/amjson"
)

// Files are printed the way AM and the vendor tool print them: key order,
// number text and unescaped characters kept.
func ExampleAppendJSON() {
	v, err := amjson.Parse([]byte(`{"b": 1.50, "a": ["x", "y"], "url": "http://am/<x>&y", "e": {}}`))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(amjson.AppendJSON(nil, v, amjson.PrintOptions{})))
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
	_, err := amjson.Parse([]byte("{\n  \"a\" : 1,\n}"))
	fmt.Println(err)
	// Output:
	// line 2, column 10: unexpected ',' before '}': JSON does not allow a trailing comma; remove it
}
