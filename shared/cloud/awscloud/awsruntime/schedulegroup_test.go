package awsruntime

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/shared/cloud"
	"github.com/berth-dev/berth/shared/cloud/awscloud/awstest"
)

const (
	groupName = "berth-acme-my-app-production-0123456789"
	groupARN  = "arn:aws:scheduler:eu-west-1:123456789012:schedule-group/" + groupName
)

var groupRef = cloud.Ref{Kind: cloud.KindScheduleGroup, Name: groupName, ID: groupARN}

func groupJSON(state string) string {
	return `{"Arn":"` + groupARN + `","Name":"` + groupName + `","State":"` + state + `","CreationDate":1767225600}`
}

// withoutToken drops the client token the SDK fills in (a random one,
// the same for each retry of a call) after checking it is there.
func withoutToken(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	if tok, _ := body["ClientToken"].(string); tok == "" {
		t.Errorf("no client token in %v", body)
	}
	delete(body, "ClientToken")
	return body
}

func TestCreateScheduleGroupRequest(t *testing.T) {
	c, stub := testPart(t)
	stub.On("CreateScheduleGroup", awstest.OK(`{"ScheduleGroupArn":"`+groupARN+`"}`))
	r, err := c.CreateScheduleGroup(context.Background(), cloud.ScheduleGroupSpec{Name: groupName, Tags: awstest.Tags})
	if err != nil {
		t.Fatal(err)
	}
	req := stub.Only("CreateScheduleGroup")
	if req.Method != "POST" || req.Path != "/schedule-groups/"+groupName {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	awstest.CheckJSON(t, withoutToken(t, req.JSON), `{"Tags":[{"Key":"berth:application","Value":"my-app"},{"Key":"berth:managed","Value":"true"}]}`)
	want := cloud.Resource{Ref: groupRef, State: cloud.StateAvailable, Outputs: map[string]string{cloud.OutARN: groupARN}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resource %+v\nwant     %+v", r, want)
	}
}

// TestCreateScheduleGroupThatExistsReadsIt: an earlier try created it.
func TestCreateScheduleGroupThatExistsReadsIt(t *testing.T) {
	for _, tc := range []struct {
		state string
		want  cloud.State
	}{{"ACTIVE", cloud.StateAvailable}, {"DELETING", cloud.StateDeleting}} {
		c, stub := testPart(t)
		stub.On("CreateScheduleGroup", awstest.AWSErr("ConflictException", "Schedule group "+groupName+" already exists."))
		stub.On("GetScheduleGroup", awstest.OK(groupJSON(tc.state)))
		r, err := c.CreateScheduleGroup(context.Background(), cloud.ScheduleGroupSpec{Name: groupName, Tags: awstest.Tags})
		if err != nil || r.ID != groupARN || r.State != tc.want {
			t.Errorf("%s: resource %+v, error %v", tc.state, r, err)
		}
		if req := stub.Only("GetScheduleGroup"); req.Method != "GET" || req.Path != "/schedule-groups/"+groupName {
			t.Errorf("request %s %s", req.Method, req.Path)
		}
	}
}

func TestCreateScheduleGroupErrors(t *testing.T) {
	for code, want := range map[string]error{
		"ServiceQuotaExceededException": cloud.ErrQuota,
		"ValidationException":           cloud.ErrInvalid,
	} {
		c, stub := testPart(t)
		stub.On("CreateScheduleGroup", awstest.AWSErr(code, "refused"))
		_, err := c.CreateScheduleGroup(context.Background(), cloud.ScheduleGroupSpec{Name: groupName})
		if !errors.Is(err, want) || !strings.HasPrefix(err.Error(), "scheduler CreateScheduleGroup: "+code) {
			t.Errorf("%s: error %v, want %v", code, err, want)
		}
		if ops := stub.Ops(); !reflect.DeepEqual(ops, []string{"CreateScheduleGroup"}) {
			t.Errorf("%s: calls %v", code, ops)
		}
	}
}

func TestScheduleGroupCheck(t *testing.T) {
	c, stub := testPart(t)
	stub.On("GetScheduleGroup", awstest.OK(groupJSON("ACTIVE")), awstest.OK(groupJSON("DELETING")),
		awstest.Reply{Status: 404, Code: "ResourceNotFoundException", Msg: "Schedule group " + groupName + " does not exist."})
	for _, want := range []cloud.State{cloud.StateAvailable, cloud.StateDeleting} {
		if r, err := c.Check(context.Background(), groupRef); err != nil || r.State != want || r.ID != groupARN {
			t.Errorf("check %+v, %v; want %s", r, err, want)
		}
	}
	if _, err := c.Check(context.Background(), groupRef); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("check of a missing group: %v", err)
	}
	if req := stub.All("GetScheduleGroup")[0]; req.Path != "/schedule-groups/"+groupName {
		t.Errorf("path %s", req.Path)
	}
}

// TestDeleteScheduleGroup: the group is gone once Scheduler no longer
// finds it, not when it accepts the delete; a group being deleted is not
// deleted again.
func TestDeleteScheduleGroup(t *testing.T) {
	notFound := awstest.Reply{Status: 404, Code: "ResourceNotFoundException", Msg: "Schedule group " + groupName + " does not exist."}
	for _, tc := range []struct {
		name     string
		get, del awstest.Reply
		gone     bool
		fails    bool
		kind     error    // the error's kind, when it fails with one
		ops      []string // a delete is sent when there are two
	}{
		{"active", awstest.OK(groupJSON("ACTIVE")), awstest.OK(`{}`), false, false, nil, []string{"GetScheduleGroup", "DeleteScheduleGroup"}},
		{"deleting", awstest.OK(groupJSON("DELETING")), awstest.Reply{}, false, false, nil, []string{"GetScheduleGroup"}},
		{"gone", notFound, awstest.Reply{}, true, false, nil, []string{"GetScheduleGroup"}},
		{"gone meanwhile", awstest.OK(groupJSON("ACTIVE")), notFound, true, false, nil, []string{"GetScheduleGroup", "DeleteScheduleGroup"}},
		{"conflict", awstest.OK(groupJSON("ACTIVE")), awstest.AWSErr("ConflictException", "Schedule group is being deleted."), false, false, nil,
			[]string{"GetScheduleGroup", "DeleteScheduleGroup"}},
		{"refused", awstest.OK(groupJSON("ACTIVE")), awstest.AWSErr("ValidationException", "The default group cannot be deleted."), false, true, cloud.ErrInvalid,
			[]string{"GetScheduleGroup", "DeleteScheduleGroup"}},
		{"unreadable", awstest.AWSErr("AccessDeniedException", "not authorized"), awstest.Reply{}, false, true, nil, []string{"GetScheduleGroup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := testPart(t)
			stub.On("GetScheduleGroup", tc.get)
			if len(tc.ops) > 1 {
				stub.On("DeleteScheduleGroup", tc.del)
			}
			gone, err := c.Delete(context.Background(), groupRef, cloud.DeleteOptions{})
			if gone != tc.gone || (err != nil) != tc.fails || tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Fatalf("gone %v, error %v", gone, err)
			}
			if !reflect.DeepEqual(stub.Ops(), tc.ops) {
				t.Errorf("calls %v, want %v", stub.Ops(), tc.ops)
			}
			if len(tc.ops) > 1 {
				if req := stub.Only("DeleteScheduleGroup"); req.Method != "DELETE" || req.Path != "/schedule-groups/"+groupName || req.Query.Get("clientToken") == "" {
					t.Errorf("request %s %s?%s", req.Method, req.Path, req.Query.Encode())
				}
			}
		})
	}
}
