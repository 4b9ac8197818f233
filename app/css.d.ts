// Global stylesheets imported for their side effect (app/layout.tsx).
declare module "*.css";
