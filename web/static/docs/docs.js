// Renders openapi.yaml (docs/openapi.yaml, copied beside this page) with
// swagger-ui-dist, every tag open so that every operation is listed.
window.ui = SwaggerUIBundle({
  url: "openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  displayOperationId: true,
  defaultModelsExpandDepth: 0,
  filter: true,
  persistAuthorization: false,
  validatorUrl: null,
});
