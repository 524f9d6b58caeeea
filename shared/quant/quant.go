// Package quant says where Berth stands against Quant Cloud's published
// API (docs/quant/openapi-apps.yaml): the operations, and the response
// fields of served operations, that Berth does not serve yet. It is the
// one list of them; the README shows it, and later issues empty it.
package quant

// DocumentPath is the Quant document, from the repository's root.
const DocumentPath = "docs/quant/openapi-apps.yaml"

// Unserved maps each Quant operationId Berth does not serve yet to the
// issue that brings it.
var Unserved = map[string]string{}

// ArrayLists are the lists Quant's document types as one item, which
// cannot hold a list: Berth answers a JSON array of that item, as Quant's
// other lists are, and its tests compare the item with the array's items.
var ArrayLists = map[string]string{
	"listCommands": "Command",
	"listCronJobs": "Cron",
	"listVolumes":  "Volume",
}

// UnservedFields maps response fields of served operations that Berth
// leaves out yet, as "<operationId> <path in the body>", to the issue that
// brings each. A request field is never listed: every one is accepted.
var UnservedFields = map[string]string{
	"listBackups message":       "15: never sent; the list is backups, count and nextToken",
	"getEnvironment albRouting": "12: deployments",
	"patchEnvironmentCompose spotConfiguration.tolerateDowntime": "12: deployments (Spot is kept, not acted on)",
	"getEnvironment publicIpAddress":                             "14: Berth's tasks have no public IP; always absent",
	"createEnvironment albRouting":                               "12: deployments",
	"createEnvironment publicIpAddress":                          "14: Berth's tasks have no public IP; always absent",
	"getApplication imageReference":                              "12: deployments (the image of the latest release)",
	"createApplication imageReference":                           "12: deployments (the image of the latest release)",
	"listApplications []imageReference":                          "12: deployments (the image of the latest release)",
	"getEnvironment cron[]command":                               "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"getEnvironment cron[]description":                           "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"getEnvironment cron[]isEnabled":                             "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"getEnvironment cron[]name":                                  "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"getEnvironment cron[]scheduleExpression":                    "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"getEnvironment cron[]targetContainerName":                   "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]command":                            "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]description":                        "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]isEnabled":                          "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]name":                               "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]scheduleExpression":                 "13: listed at .../cron, kept off the environment so that reading it stays one read",
	"createEnvironment cron[]targetContainerName":                "13: listed at .../cron, kept off the environment so that reading it stays one read",
}
