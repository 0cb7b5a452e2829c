// Bundle app.js with webpack 5 and no configuration beyond entry/output/mode (no loaders, no plugins, no rules):
// the package must work with webpack's defaults. Usage (from the project folder): node webpack.build.mjs
import webpack from 'webpack';

const compiler = webpack({
  mode: 'production',
  context: process.cwd(),
  entry: './app.js',
  output: { path: `${process.cwd()}/dist`, clean: true },
});
compiler.run((err, stats) => {
  if (err || stats.hasErrors()) {
    console.error(err ?? stats.toString({ all: false, errors: true, warnings: true }));
    process.exit(1);
  }
  console.log(stats.toString({ all: false, assets: true, warnings: true }));
  compiler.close(() => {});
});
