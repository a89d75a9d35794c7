interface ImportMetaEnv {
  /** The API's URL when it is on another origin, such as `https://api.example.org/graphql`. */
  readonly VITE_GRAPHQL_URL?: string;
}
