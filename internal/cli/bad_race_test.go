//go:build race

package cli

// raceEnabled is set when the tests run under the race detector, which makes the largest
// inputs too slow to test at full size.
const raceEnabled = true
