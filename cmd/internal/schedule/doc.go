// Package schedule reads the schedules of --once-per jobs (cron
// expressions, or durations aligned to the epoch) and cuts time into their
// slots.
//
// Its one invariant: every instant belongs to exactly one slot, whatever
// daylight saving does to the wall clock — a slot is neither skipped nor
// counted twice.
package schedule
