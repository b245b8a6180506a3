package report

// DiffOpenLines is the longest diff the HTML page shows open, for the
// browser test.
const DiffOpenLines = diffOpenLines
