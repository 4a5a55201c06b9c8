// The API reference: Swagger UI over the contract the service serves.
/* global SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.yaml',
    dom_id: '#swagger',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    tryItOutEnabled: false,
    onComplete: () => document.body.setAttribute('data-state', 'ready'),
  });
});
