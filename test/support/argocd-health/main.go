// argocd-health: runs an Argo CD resource health check (a Lua script) on Kubernetes objects the way
// Argo CD's controller does (argo-cd util/lua/lua.go, runLua and ExecuteHealthLua): gopher-lua, a
// Lua 5.1 interpreter, with the standard libraries closed except package, base, table and an os
// that has only time and date; the object as the global `obj` (numbers as Lua numbers); a 1 s
// time limit; the script's returned table read as {status, message}, and a status outside Argo
// CD's set turned into Unknown. A script that passes under Lua 5.4 can still fail here (integer
// division, goto, utf8, string.format("%d", 1.5)...): that is why the tests use this interpreter.
//
// Usage: argocd-health SCRIPT < objects.jsonl   (one object per line; one JSON result per line)
// Built by test/support/argocd-health.ts into the tool cache; never committed as a binary.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Argo CD's health.HealthStatusCode values.
var validStatus = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: argocd-health SCRIPT < objects.jsonl"))
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		var object map[string]interface{}
		if err := json.Unmarshal(scanner.Bytes(), &object); err != nil {
			fail(err)
		}
		result, err := run(object, string(script))
		if err != nil {
			fail(err)
		}
		if err := out.Encode(result); err != nil {
			fail(err)
		}
	}
	if err := scanner.Err(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func run(object map[string]interface{}, script string) (*health, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, lua.OpenOs},
	} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	// Argo CD's os has only time and date: a script must not exit, read files or run commands.
	if osTable, ok := L.GetGlobal(lua.OsLibName).(*lua.LTable); ok {
		var others []lua.LValue
		osTable.ForEach(func(key, _ lua.LValue) {
			if name := key.String(); name != "time" && name != "date" {
				others = append(others, key)
			}
		})
		for _, key := range others {
			osTable.RawSet(key, lua.LNil)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, object))
	if err := L.DoString(script); err != nil {
		return nil, err
	}
	returned, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", L.Get(-1).Type().String())
	}
	// Argo CD encodes the table as JSON and decodes a HealthStatus: both fields must be strings.
	result := &health{}
	for field, target := range map[string]*string{"status": &result.Status, "message": &result.Message} {
		switch value := returned.RawGetString(field).(type) {
		case lua.LString:
			*target = string(value)
		case *lua.LNilType:
		default:
			return nil, fmt.Errorf("health %s is a Lua %s, not a string", field, value.Type().String())
		}
	}
	if !validStatus[result.Status] {
		return &health{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	}
	return result, nil
}

// toLua converts a decoded JSON value as Argo CD's decodeValue does.
func toLua(L *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		array := L.CreateTable(len(v), 0)
		for _, item := range v {
			array.Append(toLua(L, item))
		}
		return array
	case map[string]interface{}:
		table := L.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(L, item))
		}
		return table
	}
	return lua.LNil
}
