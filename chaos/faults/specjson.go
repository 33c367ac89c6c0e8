package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// A spec's JSON is one flat object, as plans have always been written:
// "fault" and "target" beside the kind's own parameters. Decoding finds
// the kind first, then reads its parameters into the struct it registers,
// and refuses a key the kind does not take, so a mistyped parameter is an
// error rather than a fault run without it.

func (s FaultSpec) MarshalJSON() ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if s.Params != nil {
		b, err := json.Marshal(s.Params)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, fmt.Errorf("fault %s: its parameters are not an object: %w", s.Kind, err)
		}
	}
	fields["fault"], _ = json.Marshal(s.Kind) // a string always encodes
	if s.Target != "" {
		fields["target"], _ = json.Marshal(s.Target)
	}
	return json.Marshal(fields)
}

func (s *FaultSpec) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	return s.fromFields(fields)
}

// fromFields reads a spec from its object's fields.
func (s *FaultSpec) fromFields(fields map[string]json.RawMessage) error {
	*s = FaultSpec{}
	for key, into := range map[string]*string{"fault": &s.Kind, "target": &s.Target} {
		if raw, ok := fields[key]; ok {
			if err := json.Unmarshal(raw, into); err != nil {
				return fmt.Errorf("%q: %w", key, err)
			}
		}
	}
	params := map[string]json.RawMessage{}
	for key, raw := range fields {
		if key != "fault" && key != "target" {
			params[key] = raw
		}
	}
	i := slices.IndexFunc(faultKinds, func(k faultKind) bool { return k.Name == s.Kind })
	if i < 0 {
		return nil // NewFault names the kinds there are
	}
	kind := faultKinds[i]
	if kind.params == nil {
		if len(params) > 0 {
			return fmt.Errorf("fault %s takes no parameters, got %s", s.Kind, strings.Join(slices.Sorted(maps.Keys(params)), ", "))
		}
		return nil
	}
	b, _ := json.Marshal(params) // raw messages re-encode
	p := kind.params()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return fmt.Errorf("fault %s: %w (its parameters: %s)", s.Kind, err, strings.Join(paramNames(kind), ", "))
	}
	if len(params) > 0 {
		s.Params = p
	}
	return nil
}

// paramNames are the JSON keys of a kind's parameters.
func paramNames(kind faultKind) []string {
	t := reflect.TypeOf(kind.params()).Elem()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// A plan step's JSON is its spec's object with "at", "for" and "hit"
// beside the fault's own keys.

func (p PlanStep) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(p.FaultSpec)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["at"], _ = json.Marshal(p.At)
	if p.For != 0 {
		fields["for"], _ = json.Marshal(p.For)
	}
	if p.Hit != "" {
		fields["hit"], _ = json.Marshal(p.Hit)
	}
	return json.Marshal(fields)
}

func (p *PlanStep) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	*p = PlanStep{}
	for key, into := range map[string]any{"at": &p.At, "for": &p.For, "hit": &p.Hit} {
		if raw, ok := fields[key]; ok {
			if err := json.Unmarshal(raw, into); err != nil {
				return fmt.Errorf("%q: %w", key, err)
			}
			delete(fields, key)
		}
	}
	return p.FaultSpec.fromFields(fields)
}

// Parameters lists the keys a kind's spec takes beside "fault" and
// "target", as its registered parameter struct names them.
func Parameters(kind string) []string {
	i := slices.IndexFunc(faultKinds, func(k faultKind) bool { return k.Name == kind })
	if i < 0 || faultKinds[i].params == nil {
		return nil
	}
	return paramNames(faultKinds[i])
}
