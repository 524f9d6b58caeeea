// Package configuration is an environment's variables and secrets: the
// rules for their names and values, the requests that change them, and
// the port (SecretStore) through which secret values reach AWS Secrets
// Manager. A change makes a release and deploys it (shared/deploy);
// containers get every variable, and every secret through valueFrom.
// shared/configuration/awssecrets is the Secrets Manager adapter;
// shared/cloud/sandbox has the local stack's.
package configuration
