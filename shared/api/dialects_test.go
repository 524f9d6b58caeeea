package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/berth-dev/berth/shared/auth"
	"github.com/berth-dev/berth/shared/dialect"
)

// TestOneAppThroughEveryDialect: the organization and the space are the
// same, by guid, in CF v2, CF v3 and Qovery; an app created through CF v2
// is the same app, with the same guid and state, through CF v3, Qovery and
// Quant's API; a stop through Qovery is a stop in all of them; a container
// created through Qovery is listed by both CFs and by Quant; a delete
// through CF v3 is seen by the others.
func TestOneAppThroughEveryDialect(t *testing.T) {
	org := uniqueOrg(t)
	secret := tokenFor(t, org, auth.RoleAdmin)
	qov := func(method, path string, body any) response {
		t.Helper()
		return callAs(t, "Token "+secret, method, path, body)
	}
	okJSON := func(res response) map[string]any {
		t.Helper()
		mustStatus(t, res, http.StatusOK)
		return res.json(t)
	}

	// One organization, one space.
	space := cf2Space(t, secret)
	orgGUID := dialect.OrganisationID(org)
	v2orgs := okJSON(cf2(t, secret, http.MethodGet, "/v2/organizations", nil))["resources"].([]any)
	v3orgs := okJSON(cf3(t, secret, http.MethodGet, "/v3/organizations", nil))["resources"].([]any)
	qorgs := okJSON(qov(http.MethodGet, "/organization", nil))["results"].([]any)
	if v2orgs[0].(map[string]any)["metadata"].(map[string]any)["guid"] != orgGUID || v3orgs[0].(map[string]any)["guid"] != orgGUID || qorgs[0].(map[string]any)["id"] != orgGUID {
		t.Fatalf("organization guids: v2 %v, v3 %v, Qovery %v; want %s", v2orgs, v3orgs, qorgs, orgGUID)
	}
	v3spaces := okJSON(cf3(t, secret, http.MethodGet, "/v3/spaces?names=dev", nil))["resources"].([]any)
	qenvs := okJSON(qov(http.MethodGet, "/project/"+dialect.ProjectID(org)+"/environment", nil))["results"].([]any)
	if len(v3spaces) != 1 || v3spaces[0].(map[string]any)["guid"] != space || len(qenvs) != 1 || qenvs[0].(map[string]any)["id"] != space || qenvs[0].(map[string]any)["name"] != "dev" {
		t.Fatalf("space %s: CF v3 sees %v, Qovery %v", space, v3spaces, qenvs)
	}

	// An app created and started through CF v2.
	res := cf2(t, secret, http.MethodPost, "/v2/apps", map[string]any{"name": "shop_front", "space_guid": space, "docker_image": "nginx:1.27", "state": "STARTED"})
	mustStatus(t, res, http.StatusCreated)
	guid := metadata(t, res)["guid"].(string)
	settle(t, org, "shop-front", "dev")

	// seen asserts the app's state through every dialect and Quant's API.
	seen := func(v2, v3, qovery string, desired float64) {
		t.Helper()
		if e := entity(t, cf2(t, secret, http.MethodGet, "/v2/apps/"+guid, nil)); e["state"] != v2 || e["name"] != "shop_front" || e["space_guid"] != space {
			t.Errorf("CF v2: %v, want state %s", e, v2)
		}
		if a := okJSON(cf3(t, secret, http.MethodGet, "/v3/apps/"+guid, nil)); a["state"] != v3 || a["name"] != "shop_front" || a["guid"] != guid {
			t.Errorf("CF v3: %v, want state %s", a, v3)
		}
		if c := okJSON(qov(http.MethodGet, "/container/"+guid, nil)); c["id"] != guid || c["environment"].(map[string]any)["id"] != space {
			t.Errorf("Qovery container: %v", c)
		}
		if s := okJSON(qov(http.MethodGet, "/container/"+guid+"/status", nil)); s["state"] != qovery {
			t.Errorf("Qovery status: %v, want %s", s, qovery)
		}
		if q := okJSON(call(t, http.MethodGet, orgPath(org)+"/applications/shop-front/environments/dev", nil)); q["desiredCount"] != desired {
			t.Errorf("Quant: desiredCount %v, want %v", q["desiredCount"], desired)
		}
	}
	seen("STARTED", "STARTED", "DEPLOYED", 1)

	// Stopped through Qovery.
	mustStatus(t, qov(http.MethodPost, "/container/"+guid+"/stop", nil), http.StatusAccepted)
	settle(t, org, "shop-front", "dev")
	seen("STOPPED", "STOPPED", "STOPPED", 0)

	// A container created through Qovery in the same space: both CFs and
	// Quant list the two apps.
	res = qov(http.MethodPost, "/environment/"+space+"/container", map[string]any{"name": "api", "registry_id": "r-1", "image_name": "nginx", "tag": "1.27",
		"ports": []any{map[string]any{"internal_port": 80, "is_default": true}}})
	mustStatus(t, res, http.StatusCreated)
	api := res.json(t)["id"].(string)
	settle(t, org, "api", "dev")
	var v2names, v3names, quant []string
	for _, r := range okJSON(cf2(t, secret, http.MethodGet, "/v2/apps?q=space_guid:"+space, nil))["resources"].([]any) {
		v2names = append(v2names, r.(map[string]any)["entity"].(map[string]any)["name"].(string))
	}
	for _, r := range okJSON(cf3(t, secret, http.MethodGet, "/v3/apps?space_guids="+space+"&order_by=name", nil))["resources"].([]any) {
		v3names = append(v3names, r.(map[string]any)["name"].(string))
	}
	res = call(t, http.MethodGet, orgPath(org)+"/applications", nil)
	mustStatus(t, res, http.StatusOK)
	for _, a := range res.array(t) {
		quant = append(quant, a.(map[string]any)["appName"].(string))
	}
	slices.Sort(v2names)
	slices.Sort(quant)
	if !slices.Equal(v2names, []string{"api", "shop_front"}) || !slices.Equal(v3names, []string{"api", "shop_front"}) || !slices.Equal(quant, []string{"api", "shop-front"}) {
		t.Fatalf("apps: CF v2 %v, CF v3 %v, Quant %v", v2names, v3names, quant)
	}
	if a := okJSON(cf3(t, secret, http.MethodGet, "/v3/apps/"+api, nil)); a["state"] != "STOPPED" {
		t.Fatalf("Qovery's container, created stopped, through CF v3: %v", a)
	}

	// Deleted through CF v3: gone for CF v2 and Qovery at once; Quant's
	// API shows the application DELETING until its teardown ends.
	mustStatus(t, cf3(t, secret, http.MethodDelete, "/v3/apps/"+guid, nil), http.StatusAccepted)
	cf2Error(t, cf2(t, secret, http.MethodGet, "/v2/apps/"+guid, nil), http.StatusNotFound, "CF-AppNotFound")
	qoveryError(t, qov(http.MethodGet, "/container/"+guid+"/status", nil), http.StatusNotFound)
	if q := okJSON(call(t, http.MethodGet, orgPath(org)+"/applications/shop-front", nil)); q["status"] != "DELETING" {
		t.Errorf("Quant after the delete: status %v", q["status"])
	}
}

// A path under a dialect's own first segment that no route has is that
// dialect's 404.
func TestNoRouteSpeaksTheDialectOfItsPath(t *testing.T) {
	secret := tokenFor(t, uniqueOrg(t), auth.RoleAdmin)
	cf2Error(t, cf2(t, secret, http.MethodGet, "/v2/nothing", nil), http.StatusNotFound, "CF-NotFound")
	cfError(t, cf3(t, secret, http.MethodGet, "/v3/nothing", nil), http.StatusNotFound, "CF-NotFound")
	qoveryError(t, callAs(t, "Token "+secret, http.MethodGet, "/container/x/nothing/more", nil), http.StatusNotFound)
}

// GET / is CF's global root: where a CF client finds the v2 and v3 APIs.
// Only "/" itself: any other unknown path is still no route, and another
// method on "/" is CF's 405.
func TestCFGlobalRoot(t *testing.T) {
	secret := tokenFor(t, uniqueOrg(t), auth.RoleRead)
	res := cf3(t, secret, http.MethodGet, "/", nil)
	mustStatus(t, res, http.StatusOK)
	links, _ := res.json(t)["links"].(map[string]any)
	v2, _ := links["cloud_controller_v2"].(map[string]any)
	v3, _ := links["cloud_controller_v3"].(map[string]any)
	if v2["href"] != "/v2" || v3["href"] != "/v3" || v3["meta"].(map[string]any)["version"] == "" || links["uaa"] != nil {
		t.Fatalf("global root %s", res.Body)
	}
	// The links lead to the APIs.
	mustStatus(t, cf2(t, secret, http.MethodGet, v2["href"].(string)+"/info", nil), http.StatusOK)
	mustStatus(t, cf3(t, secret, http.MethodGet, v3["href"].(string), nil), http.StatusOK)
	mustStatus(t, cf3(t, secret, http.MethodGet, "/nothing", nil), http.StatusNotFound)
	cfError(t, cf3(t, secret, http.MethodPost, "/", nil), http.StatusMethodNotAllowed, "CF-NotFound")
}
