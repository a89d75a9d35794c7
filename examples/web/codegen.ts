// GraphQL Code Generator: types for every operation in src/, from the schema the server
// prints (../../schema.graphql). `npm run codegen` writes src/gql/; `npm run
// codegen:check` (CI) fails when what is committed there is stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Every custom scalar needs a type here: with strictScalars, one the schema
        // gains without a mapping fails the build instead of turning into `any`.
        strictScalars: true,
        scalars: {
          Date: 'string',
          DateTime: 'string',
          JSON: '../json#JsonValue',
        },
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
